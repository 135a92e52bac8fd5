using OrleansLlm.Engine.Model.Layers;
using OrleansLlm.Engine.Model.Script;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>
/// How C# records reach the layer scripts: a record's fields (its primary constructor's, in order) become a tuple the
/// script reads through accessors, and an entry taking records or lists of records is called with them by name.
/// </summary>
public sealed class ScriptRecordTests
{
    private sealed record Pair(Tensor Left, long Times) : IScriptRecord;

    private sealed record Outer(Tensor Bias, Pair Inner, double Scale) : IScriptRecord;

    [Fact]
    public void ARecordIsATupleOfItsConstructorFieldsWithAnAccessorEach()
    {
        var lin = RecordSchema.Of<Lin>();
        Assert.Equal(["weight", "scale", "bias", "input_scale", "channels", "columns"], lin.Fields.Select(f => f.Name));
        Assert.Equal("Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]", lin.TorchType);
        Assert.Contains("def Lin_input_scale(r: Lin) -> Tensor:\n    return r[3]", lin.Accessors());
        Assert.Equal("Tuple[Tensor, Tuple[Tensor, int], float]", RecordSchema.Of<Outer>().TorchType);
    }

    [Fact]
    public void AnEntryTakesRecordsAndListsOfThemByName()
    {
        var unit = new ScriptUnit(["""
            # @entry
            def scaled(o: Outer) -> Tensor:
                return (Pair_left(Outer_inner(o)) * Pair_times(Outer_inner(o)) + Outer_bias(o)) * Outer_scale(o)

            # @entry
            def total(x: Tensor, pairs: List[Pair]) -> Tensor:
                for p in pairs:
                    x = x + Pair_left(p) * Pair_times(p)
                return x
            """], [typeof(Pair), typeof(Outer)]);
        var outer = new Outer(ones(2), new Pair(full(2, 3f), 2), 0.5);
        Assert.Equal([3.5f, 3.5f], unit.Call<Tensor>("scaled", outer).data<float>().ToArray());
        Pair[] pairs = [new(ones(2), 1), new(full(2, 2f), 10)];
        Assert.Equal([21f, 21f], unit.Call<Tensor>("total", zeros(2), pairs).data<float>().ToArray());
    }

    [Fact]
    public void ACallWithTheWrongArgumentsOrNoSuchEntryIsRefused()
    {
        var unit = new ScriptUnit(["# @entry\ndef one(x: Tensor) -> Tensor:\n    return x\n"], []);
        Assert.Contains("takes 1 arguments", Assert.Throws<ArgumentException>(() => unit.Call<Tensor>("one")).Message);
        Assert.Contains("no '# @entry' function two", Assert.Throws<InvalidOperationException>(() => unit.Call<Tensor>("two", ones(1))).Message);
    }
}
