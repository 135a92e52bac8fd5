using OrleansLlm.Engine.Batching;

namespace OrleansLlm.Engine.Serving;

/// <summary>A batch the scheduler formed: its layout for the kernels and, row-ordered, the sequence of each entry.</summary>
public sealed class ScheduledBatch(long id, BatchLayout layout, IReadOnlyList<ServingSequence> sequences)
{
    public long Id { get; } = id;
    public BatchLayout Layout { get; } = layout;

    /// <summary>The sequence of layout entry i.</summary>
    public IReadOnlyList<ServingSequence> Sequences { get; } = sequences;

    /// <summary>The token ids of the batch's rows, in row order (what the first stage embeds).</summary>
    public int[] RowTokens() =>
        Layout.Entries.SelectMany((e, i) => Sequences[i].Tokens.Skip(e.Start).Take(e.Count)).ToArray();
}
