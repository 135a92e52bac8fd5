using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Grains.Shards;
using OrleansLlm.Tests.Engine;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Shards;

/// <summary>KV blocks cut into pieces under a message size, carried over the wire, and put back in the mailbox.</summary>
public class KvPiecesTests
{
    private static readonly ServiceProvider Services = new ServiceCollection().AddSerializer().BuildServiceProvider();

    private static KvBlock Block(long[] positions, int kvHeads = 2, int headDim = 4)
    {
        var n = positions.Length;
        return new KvBlock(randn(kvHeads, n, headDim), randn(kvHeads, n, headDim), tensor(positions),
            PositionRun.Of(positions));
    }

    /// <summary>What another silo receives: the piece after the serializer.</summary>
    private static KvPiece OverTheWire(KvPiece piece)
    {
        var serializer = Services.GetRequiredService<Serializer>();
        return serializer.Deserialize<KvPiece>(serializer.SerializeToArray(piece))!;
    }

    public static TheoryData<long[], long> Blocks => new()
    {
        { Enumerable.Range(0, 37).Select(i => (long)i + 100).ToArray(), 300 },           // contiguous, several pieces
        { Enumerable.Range(0, 20).Select(i => 3L * i + 1).ToArray(), 150 },               // a stripe of 3 shards
        { new long[] { 0, 1, 2, 7, 8, 20, 21, 22, 23, 40, 41 }, 100 },                    // irregular
        { new long[] { 5 }, 1 },                                                         // one token, a tiny piece size
    };

    [Theory, MemberData(nameof(Blocks))]
    public async Task ABlockCutIntoPiecesComesBackWhole(long[] positions, long pieceBytes)
    {
        using var block = Block(positions);
        var pieces = KvPieces.Cut(block, pieceBytes);
        var perToken = 2 * 2 * 4 * 4 + 8;
        Assert.Equal((int)Math.Ceiling(positions.Length / (double)Math.Max(1, pieceBytes / perToken)), pieces.Length);
        Assert.All(pieces, p => Assert.InRange(p.Keys.ByteCount + p.Values.ByteCount + p.Positions.ByteCount, 1, Math.Max(pieceBytes, perToken)));

        // Arriving in any order over the wire, assembled by index in the mailbox.
        var mailbox = new KvMailbox();
        var request = Guid.NewGuid();
        foreach (var p in pieces.Reverse()) mailbox.Add(request, 3, 1, OverTheWire(p));
        var arrived = mailbox.Take(request, 3, 1);
        Assert.True(arrived.IsCompletedSuccessfully);
        using var joined = KvPieces.Join(await arrived, CPU);

        Assert.Equal(0, Fixture.MaxAbsDiff(joined.Keys, block.Keys));
        Assert.Equal(0, Fixture.MaxAbsDiff(joined.Values, block.Values));
        Assert.Equal(positions, joined.Positions.data<long>().ToArray());
        Assert.Equal(block.Run, joined.Run);
    }

    [Fact]
    public void AnEmptyBlockIsOneEmptyPiece()
    {
        using var block = Block([]);
        var pieces = KvPieces.Cut(block, 1000);
        Assert.Single(pieces);
        using var joined = KvPieces.Join(pieces, CPU);
        Assert.Equal(0, joined.Length);
        Assert.Equal(0, joined.Run.Count);
    }

    [Fact]
    public async Task TheMailboxWaitsForEveryPieceRefusesRepeatsAndFailsDroppedRequests()
    {
        using var block = Block(Enumerable.Range(0, 10).Select(i => (long)i).ToArray());
        var pieces = KvPieces.Cut(block, 100);
        var mailbox = new KvMailbox();
        var request = Guid.NewGuid();
        var waiting = mailbox.Take(request, 0, 0);
        mailbox.Add(request, 0, 0, pieces[1]);
        Assert.False(waiting.IsCompleted);
        Assert.Throws<OlmException>(() => mailbox.Add(request, 0, 0, pieces[1]));
        foreach (var p in pieces.Where(p => p.Index != 1)) mailbox.Add(request, 0, 0, p);
        Assert.Equal(pieces.Length, (await waiting).Length);

        var dropped = mailbox.Take(request, 1, 0);
        mailbox.Drop(request);
        var e = await Assert.ThrowsAsync<OlmException>(() => dropped);
        Assert.Contains("released", e.Message);
    }
}
