using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>Where each row of a <see cref="RaggedArray"/> starts in its values array and how long it is: read from a mapped
/// index file (offsets, or Megatron's lengths and byte pointers) or from starts computed at open.</summary>
internal abstract unsafe class RaggedIndex : IDisposable
{
    /// <summary>The number of rows.</summary>
    public abstract long Count { get; }

    /// <summary>The index file, for messages and fingerprints.</summary>
    public abstract string Path { get; }

    /// <summary>A lease on the index mapping (default for an index held in memory), taken once per batch.</summary>
    public abstract MappedFile.Lease Acquire();

    /// <summary>The first element and the length of row <paramref name="row"/> (checked by the caller), through <paramref name="lease"/>,
    /// whose value readers never fault on a page the file lost.</summary>
    public abstract void Range(in MappedFile.Lease lease, long row, out long start, out long length);

    public abstract void EnsureFileIntact();

    public abstract void Advise(NpyAccessPattern pattern);

    public abstract void Dispose();

    /// <summary>Offsets: an integer array of n + 1 entries, row i is [offsets[i], offsets[i + 1]).</summary>
    internal sealed class Offsets : RaggedIndex
    {
        private readonly NpyArray _offsets;
        private readonly bool _owns;
        private readonly bool _nativeInt64;

        public Offsets(NpyArray offsets, bool owns)
        {
            _offsets = offsets;
            _owns = owns;
            _nativeInt64 = offsets.DType.Kind == NpyKind.SignedInteger && offsets.DType.ItemSize == 8 && !offsets.DType.IsSwapped;
        }

        public override long Count => _offsets.Length - 1;

        public override string Path => _offsets.Path;

        public NpyArray Array => _offsets;

        public override MappedFile.Lease Acquire() => _offsets.AcquireForAccess();

        public override void Range(in MappedFile.Lease lease, long row, out long start, out long length)
        {
            int item = _offsets.DType.ItemSize;
            long at = _offsets.DataStart + row * item;
            if (_nativeInt64)
            {
                start = lease.ReadInt64LittleEndian(at);
                length = lease.ReadInt64LittleEndian(at + 8) - start;
                return;
            }
            byte* raw = stackalloc byte[16];
            long* pair = stackalloc long[2];
            lease.Read(at, raw, 2 * item);
            // Validated at open: every offset fits int64, so widening cannot fail.
            TokenCopier.Widen(raw, pair, 2, _offsets.DType);
            start = pair[0];
            length = pair[1] - pair[0];
        }

        public override void EnsureFileIntact() => _offsets.EnsureFileIntact();

        public override void Advise(NpyAccessPattern pattern) => _offsets.Advise(pattern);

        public override void Dispose()
        {
            if (_owns)
                _offsets.Dispose();
        }
    }

    /// <summary>Starts computed at open from a lengths array (n + 1 entries in memory; the lengths file stays as it is).</summary>
    internal sealed class Starts : RaggedIndex
    {
        private readonly long[] _starts;
        private readonly NpyArray _lengths;
        private readonly bool _owns;

        public Starts(long[] starts, NpyArray lengths, bool owns)
        {
            _starts = starts;
            _lengths = lengths;
            _owns = owns;
        }

        public override long Count => _starts.Length - 1;

        public override string Path => _lengths.Path;

        public NpyArray Array => _lengths;

        public override MappedFile.Lease Acquire() => default;

        public override void Range(in MappedFile.Lease lease, long row, out long start, out long length)
        {
            start = _starts[row];
            length = _starts[row + 1] - start;
        }

        public override void EnsureFileIntact() => _lengths.EnsureFileIntact();

        public override void Advise(NpyAccessPattern pattern)
        {
        }

        public override void Dispose()
        {
            if (_owns)
                _lengths.Dispose();
        }
    }

    /// <summary>A Megatron <c>.idx</c>: int32 lengths and int64 byte pointers (validated at open).</summary>
    internal sealed class Megatron : RaggedIndex
    {
        private readonly NpyArray _idx;   // the whole .idx as raw bytes
        private readonly long _count;
        private readonly long _lengthsOffset;
        private readonly long _pointersOffset;
        private readonly int _itemSize;

        public Megatron(NpyArray idx, long count, long lengthsOffset, long pointersOffset, int itemSize)
        {
            _idx = idx;
            _count = count;
            _lengthsOffset = lengthsOffset;
            _pointersOffset = pointersOffset;
            _itemSize = itemSize;
        }

        public override long Count => _count;

        public override string Path => _idx.Path;

        public override MappedFile.Lease Acquire() => _idx.AcquireForAccess();

        public override void Range(in MappedFile.Lease lease, long row, out long start, out long length)
        {
            length = lease.ReadInt32LittleEndian(_lengthsOffset + row * 4);
            start = lease.ReadInt64LittleEndian(_pointersOffset + row * 8) / _itemSize;
        }

        public override void EnsureFileIntact() => _idx.EnsureFileIntact();

        public override void Advise(NpyAccessPattern pattern) => _idx.Advise(pattern);

        public override void Dispose() => _idx.Dispose();
    }
}
