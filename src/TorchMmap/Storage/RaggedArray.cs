using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// Rows of different lengths (documents, sentences, token sequences) stored as one flat, memory-mapped values array and a
/// memory-mapped index saying where each row starts: NumPy <c>.npy</c> pairs of values and offsets (or lengths), headerless
/// arrays opened as <see cref="NpyArray.OpenRaw"/>, or the sequences of a Megatron indexed dataset
/// (<see cref="IndexedDataset.Sequences"/>). Row <c>i</c> is <c>values[offsets[i] : offsets[i + 1]]</c>.
/// </summary>
/// <remarks>
/// <para>
/// The index is validated when the array opens: every offset lies inside the values array and offsets never decrease (or,
/// for lengths, none is negative and they add up to no more than the values), so no later read can run past the values.
/// A bad index is refused with an <see cref="InvalidDataException"/> naming its file and the position of the first bad entry.
/// </para>
/// <para>
/// Offsets stay in their mapped file. Lengths are turned into starts at open, which are kept in memory (8 bytes per row).
/// Reads widen integer values to int64 (token ids) straight from the mapping. Reads are thread safe; the array owns (and
/// unmaps on dispose) only the arrays it opened, or those it was given with <c>ownsArrays</c>.
/// </para>
/// </remarks>
public sealed unsafe partial class RaggedArray : IDisposable
{
    private const int ValidationChunk = 1 << 16;

    private readonly RaggedIndex _index;
    private readonly bool _ownsValues;
    private readonly RaggedArray[]? _shards;      // set for a concatenation of shards; then _index is unused
    private readonly long[]? _shardStarts;        // _shardStarts[i]: the first row of shard i; _shardStarts[^1] = Count
    private int _disposed;

    private RaggedArray(NpyArray values, RaggedIndex index, bool ownsValues)
    {
        Values = values;
        _index = index;
        _ownsValues = ownsValues;
        Count = index.Count;
    }

    private RaggedArray(RaggedArray[] shards, bool ownsShards)
    {
        _shards = shards;
        _ownsValues = ownsShards;
        Values = shards[0].Values;
        _index = shards[0]._index;
        _shardStarts = new long[shards.Length + 1];
        for (int i = 0; i < shards.Length; i++)
            _shardStarts[i + 1] = checked(_shardStarts[i] + shards[i].Count);
        Count = _shardStarts[^1];
    }

    /// <summary>The flat values array (of the first shard, for a concatenation made by <see cref="Concat"/>).</summary>
    public NpyArray Values { get; }

    /// <summary>The shards of a concatenation made by <see cref="Concat"/>, in order; empty otherwise.</summary>
    public IReadOnlyList<RaggedArray> Shards => _shards ?? [];

    /// <summary>The file of the index: offsets, lengths, or a Megatron <c>.idx</c> (the first shard's, for a concatenation).</summary>
    public string IndexPath => _shards is null ? _index.Path : $"{_shards[0].IndexPath} and {_shards.Length - 1} more shards";

    /// <summary>The number of rows.</summary>
    public long Count { get; }

    /// <summary>The number of values (over all shards).</summary>
    public long ValueCount => _shards?.Sum(s => s.ValueCount) ?? Values.Length;

    /// <summary>The dtype of the values (the first shard's, for a concatenation).</summary>
    public NpyDType DType => Values.DType;

    /// <summary>The bytes of all values: what a page cache must hold for reads of them to stay off the disk.</summary>
    internal long ValueBytes => ValueCount * DType.ItemSize;

    /// <summary>True when the values are integers, which the token layouts widen to int64.</summary>
    public bool HasIntegerValues => _shards?.All(s => s.HasIntegerValues) ?? DType.Kind is NpyKind.SignedInteger or NpyKind.UnsignedInteger;

    /// <summary>Opens a pair of 1-D <c>.npy</c> files: the values and the <c>n + 1</c> offsets of <c>n</c> rows.</summary>
    /// <param name="valuesPath">The values.</param>
    /// <param name="offsetsPath">The offsets: integers, not decreasing, each at most the number of values.</param>
    /// <returns>The array; dispose it to unmap both files.</returns>
    /// <exception cref="ArgumentException">A path is null or empty.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, is not 1-d, or the offsets are not integers, decrease, or point outside the values.</exception>
    /// <exception cref="NotSupportedException">A file's dtype cannot be loaded.</exception>
    /// <exception cref="IOException">A file cannot be opened.</exception>
    public static RaggedArray Open(string valuesPath, string offsetsPath) => OpenPair(valuesPath, offsetsPath, lengths: false);

    /// <summary>Opens a pair of 1-D <c>.npy</c> files: the values and the lengths of the rows, which follow each other in the values.</summary>
    /// <param name="valuesPath">The values.</param>
    /// <param name="lengthsPath">The row lengths: non-negative integers adding up to at most the number of values.</param>
    /// <returns>The array; dispose it to unmap both files.</returns>
    /// <exception cref="ArgumentException">A path is null or empty.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, is not 1-d, or a length is negative or the lengths run past the values.</exception>
    /// <exception cref="NotSupportedException">A file's dtype cannot be loaded.</exception>
    /// <exception cref="IOException">A file cannot be opened.</exception>
    public static RaggedArray OpenWithLengths(string valuesPath, string lengthsPath) => OpenPair(valuesPath, lengthsPath, lengths: true);

    /// <summary>Builds a ragged array over arrays the caller opened (from <c>.npy</c> files or headerless ones, <see cref="NpyArray.OpenRaw"/>).</summary>
    /// <param name="values">The 1-D values.</param>
    /// <param name="index">The 1-D integer offsets (<c>n + 1</c> entries) or, with <paramref name="indexIsLengths"/>, lengths (<c>n</c> entries).</param>
    /// <param name="indexIsLengths">True when <paramref name="index"/> holds lengths rather than offsets.</param>
    /// <param name="ownsArrays">True to dispose both arrays with the ragged array (also when this method throws).</param>
    /// <returns>The array.</returns>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="InvalidDataException">An array is not 1-d, the index is not integers, or it is invalid (see <see cref="Open"/>).</exception>
    /// <exception cref="ObjectDisposedException">An array has been disposed.</exception>
    public static RaggedArray FromArrays(NpyArray values, NpyArray index, bool indexIsLengths = false, bool ownsArrays = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(index);
        try
        {
            return new RaggedArray(values, indexIsLengths ? BuildStarts(values, index, ownsArrays) : CheckOffsets(values, index, ownsArrays), ownsArrays);
        }
        catch
        {
            if (ownsArrays)
            {
                values.Dispose();
                index.Dispose();
            }
            throw;
        }
    }

    /// <summary>Reads several ragged arrays (shards, such as the files of a dataset split in parts, or several Megatron prefixes)
    /// as one: row <c>i</c> of the result is row <c>i - start(k)</c> of the shard <c>k</c> it falls in.</summary>
    /// <param name="shards">The shards, in order: all with integer values (of any width), or all with values of one dtype.</param>
    /// <param name="ownsShards">True to dispose the shards with the concatenation.</param>
    /// <returns>The concatenation.</returns>
    /// <exception cref="ArgumentException">No shards, a null one, or non-integer dtypes that differ.</exception>
    public static RaggedArray Concat(IReadOnlyList<RaggedArray> shards, bool ownsShards = false)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0 || shards.Any(s => s is null))
            throw new ArgumentException(Messages.RaggedNoShards, nameof(shards));
        // Integer shards may differ in width (reads widen them all to int64); other values must match exactly.
        bool integers = shards.All(s => s.HasIntegerValues);
        if (!integers && shards.FirstOrDefault(s => !s.DType.Equals(shards[0].DType)) is RaggedArray other)
            throw new ArgumentException(Messages.Format(Messages.RaggedShardDType, other.IndexPath, other.DType, shards[0].IndexPath, shards[0].DType), nameof(shards));
        return new RaggedArray(shards.ToArray(), ownsShards);
    }

    /// <summary>The length of row <paramref name="row"/>.</summary>
    /// <param name="row">A row index.</param>
    /// <returns>Its number of values.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public long LengthOf(long row)
    {
        CheckRow(row);
        using Reader reader = OpenReader();
        return reader.LengthOf(row);
    }

    /// <summary>Reads row <paramref name="row"/> widened to int64 (token ids).</summary>
    /// <param name="row">A row index.</param>
    /// <returns>The row's values.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is out of range.</exception>
    /// <exception cref="NotSupportedException">The values are not integers.</exception>
    /// <exception cref="InvalidDataException">A file was truncated, or a uint64 value does not fit int64.</exception>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    public long[] Read(long row)
    {
        CheckRow(row);
        CheckInteger();
        using Reader reader = OpenReader();
        long length = reader.LengthOf(row);
        long[] result = new long[length];
        fixed (long* dst = result)
            reader.Copy(row, 0, length, dst);
        return result;
    }

    /// <summary>Copies values [<paramref name="offset"/>, <paramref name="offset"/> + destination.Length) of row <paramref name="row"/>, as stored.</summary>
    /// <typeparam name="T">An unmanaged type of the values' item size (for example <see cref="float"/> for float32 values).</typeparam>
    /// <param name="row">A row index.</param>
    /// <param name="offset">The first value within the row.</param>
    /// <param name="destination">Where the values go, in the file's byte order.</param>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not the item size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The row or the range within it is out of range.</exception>
    /// <exception cref="InvalidDataException">A file was truncated.</exception>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    public void CopyRaw<T>(long row, long offset, Span<T> destination) where T : unmanaged
    {
        if (sizeof(T) != DType.ItemSize)
            throw new ArgumentException(Messages.Format(Messages.RaggedElementSize, typeof(T).Name, sizeof(T), DType, DType.ItemSize), nameof(destination));
        CheckRow(row);
        if (_shards is not null)
        {
            int k = ShardOf(row);
            _shards[k].CopyRaw(row - _shardStarts![k], offset, destination);
            return;
        }
        using Reader reader = OpenReader();
        reader.Range(row, out long start, out long length);
        if (offset < 0 || offset > length - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, Messages.Format(Messages.RaggedValuesOutsideRow, offset, offset + destination.Length, row, length));
        fixed (T* dst = destination)
            reader.CopyStored(start + offset, destination.Length, (byte*)dst);
    }

    /// <summary>Checks that no file has been truncated since it was opened.</summary>
    /// <exception cref="InvalidDataException">A file is shorter than when it was opened.</exception>
    /// <exception cref="ObjectDisposedException">A file has been disposed.</exception>
    public void EnsureFilesIntact()
    {
        if (_shards is not null)
        {
            foreach (RaggedArray shard in _shards)
                shard.EnsureFilesIntact();
            return;
        }
        Values.EnsureFileIntact();
        _index.EnsureFileIntact();
    }

    /// <summary>Tells the kernel how the files will be read.</summary>
    /// <param name="pattern">The expected pattern.</param>
    public void Advise(NpyAccessPattern pattern)
    {
        if (_shards is not null)
        {
            foreach (RaggedArray shard in _shards)
                shard.Advise(pattern);
            return;
        }
        Values.Advise(pattern);
        _index.Advise(pattern);
    }

    /// <summary>Unmaps the arrays the ragged array owns. Calling it again does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (_shards is not null)
        {
            if (_ownsValues)
            {
                foreach (RaggedArray shard in _shards)
                    shard.Dispose();
            }
            return;
        }
        _index.Dispose();
        if (_ownsValues)
            Values.Dispose();
    }

    internal static RaggedArray FromIndex(NpyArray values, RaggedIndex index, bool ownsValues) => new(values, index, ownsValues);

    /// <summary>Leases on the values and the index for one batch of reads.</summary>
    internal Reader OpenReader()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new Reader(this);
    }

    /// <summary>The files and content sample that identify the array, for dataset fingerprints.</summary>
    internal IEnumerable<string> FilePaths => _shards?.SelectMany(s => s.FilePaths) ?? (Values.Path == _index.Path ? [Values.Path] : [Values.Path, _index.Path]);

    /// <summary>What identifies the array in a dataset fingerprint: dtype, rows and values, file sizes and sampled bytes.</summary>
    internal Data.ArrayFingerprint Fingerprint(string name)
    {
        string[] paths = FilePaths.ToArray();
        return new Data.ArrayFingerprint(name, DType.Descr, [Count, ValueCount], paths.Sum(p => new FileInfo(p).Length), Data.DatasetFingerprint.SampleContent(paths));
    }

    // The shard holding global row `row` (< Count); empty shards are skipped.
    internal int ShardOf(long row)
    {
        long[] starts = _shardStarts!;
        int i = Array.BinarySearch(starts, row);
        if (i < 0)
            return ~i - 1;
        while (i < _shards!.Length - 1 && starts[i + 1] == row)
            i++;
        return i;
    }

    internal void CheckRow(long row)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if ((ulong)row >= (ulong)Count)
            throw new ArgumentOutOfRangeException(nameof(row), row, Messages.Format(Messages.RaggedRowOutOfRange, row, IndexPath, Count));
    }

    internal void CheckInteger()
    {
        if (!HasIntegerValues)
            throw new NotSupportedException(Messages.Format(Messages.RaggedNotInteger, Values.Path, DType));
    }

    private static RaggedArray OpenPair(string valuesPath, string indexPath, bool lengths)
    {
        ArgumentException.ThrowIfNullOrEmpty(valuesPath);
        ArgumentException.ThrowIfNullOrEmpty(indexPath);
        NpyArray values = NpyArray.Open(valuesPath);
        NpyArray index;
        try
        {
            index = NpyArray.Open(indexPath);
        }
        catch
        {
            values.Dispose();
            throw;
        }
        return FromArrays(values, index, lengths, ownsArrays: true);
    }

    private static void CheckShapes(NpyArray values, NpyArray index, string what)
    {
        if (values.Rank != 1)
            throw new InvalidDataException(Messages.Format(Messages.RaggedValuesNot1D, values.Path, values.Rank, values.Header.FormatShape()));
        if (index.Rank != 1)
            throw new InvalidDataException(Messages.Format(Messages.RaggedIndexNot1D, index.Path, index.Rank, index.Header.FormatShape(), what));
        if (index.DType.Kind is not (NpyKind.SignedInteger or NpyKind.UnsignedInteger))
            throw new InvalidDataException(Messages.Format(Messages.RaggedIndexNotInteger, index.Path, index.DType, what));
    }

    // One pass over the offsets, a chunk at a time: each inside [0, values), none below the one before.
    private static RaggedIndex.Offsets CheckOffsets(NpyArray values, NpyArray offsets, bool owns)
    {
        CheckShapes(values, offsets, "offsets");
        if (offsets.Length == 0)
            throw new InvalidDataException(Messages.Format(Messages.RaggedOffsetsEmpty, offsets.Path));
        long limit = values.Length;
        long previous = 0;
        ForEachChunk(offsets, (chunk, first) =>
        {
            for (int k = 0; k < chunk.Length; k++)
            {
                long position = first + k;
                long value = chunk[k];
                if (value < 0 || value > limit)
                    throw new InvalidDataException(Messages.Format(Messages.RaggedOffsetOutside, offsets.Path, value, position, values.Path, limit));
                if (position > 0 && value < previous)
                    throw new InvalidDataException(Messages.Format(Messages.RaggedOffsetDecreases, offsets.Path, value, position, previous));
                previous = value;
            }
        });
        return new RaggedIndex.Offsets(offsets, owns);
    }

    private static RaggedIndex.Starts BuildStarts(NpyArray values, NpyArray lengths, bool owns)
    {
        CheckShapes(values, lengths, "lengths");
        long limit = values.Length;
        long[] starts = new long[checked(lengths.Length + 1)];
        ForEachChunk(lengths, (chunk, first) =>
        {
            for (int k = 0; k < chunk.Length; k++)
            {
                long position = first + k;
                long length = chunk[k];
                if (length < 0)
                    throw new InvalidDataException(Messages.Format(Messages.RaggedLengthNegative, lengths.Path, length, position));
                long end = starts[position] + length;
                if (length > limit || end > limit)
                    throw new InvalidDataException(Messages.Format(Messages.RaggedLengthsPastEnd, lengths.Path, position, length > limit ? length : end, limit, values.Path));
                starts[position + 1] = end;
            }
        });
        return new RaggedIndex.Starts(starts, lengths, owns);
    }

    // Widens the 1-D integer array a chunk at a time under one lease, copied out of the mapping as every read is (never a
    // fault on a page the file lost); a uint64 past int64 reads as -1 (out of range everywhere).
    private static void ForEachChunk(NpyArray array, ChunkAction action)
    {
        long[] buffer = new long[ValidationChunk];
        int itemSize = array.DType.ItemSize;
        byte[] stored = new byte[(long)ValidationChunk * itemSize];
        using MappedFile.Lease lease = array.AcquireForAccess();
        for (long first = 0; first < array.Length; first += ValidationChunk)
        {
            int n = (int)Math.Min(ValidationChunk, array.Length - first);
            fixed (byte* raw = stored)
            fixed (long* dst = buffer)
            {
                lease.Read(array.DataStart + first * itemSize, raw, (long)n * itemSize);
                long bad = TokenCopier.Widen(raw, dst, n, array.DType);
                if (bad >= 0)
                    buffer[bad] = -1;
            }
            action(buffer.AsSpan(0, n), first);
        }
    }

    private delegate void ChunkAction(ReadOnlySpan<long> chunk, long first);
}
