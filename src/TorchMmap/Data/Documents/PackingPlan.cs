using TorchMmap.Storage;

namespace TorchMmap.Data;

/// <summary>Which documents (or pieces of them) fill each packed sequence of <see cref="Slots"/> tokens: the part of a packed layout
/// that differs between Megatron-style free splitting, BOS-aligned starts, best-fit packing and a replayed Megatron index.</summary>
internal abstract class PackingPlan : IDisposable
{
    protected PackingPlan(int slots) => Slots = slots;

    /// <summary>Tokens per sequence: T + 1 (inputs are the first T, targets the last T).</summary>
    public int Slots { get; }

    /// <summary>The number of sequences.</summary>
    public abstract long Count { get; }

    /// <summary>What describes the plan for fingerprints and messages.</summary>
    public abstract string Description { get; }

    /// <summary>Writes the segments of sequence <paramref name="sequence"/> (in [0, Count), checked by the caller), in order,
    /// into <paramref name="destination"/> (at least <see cref="Slots"/> long) and returns how many there are. Their lengths add up to
    /// at most <see cref="Slots"/>; the rest of the sequence is padding.</summary>
    public abstract int Segments(long sequence, in RaggedArray.Reader documents, Span<DocumentSegment> destination);

    public virtual void Dispose()
    {
    }
}
