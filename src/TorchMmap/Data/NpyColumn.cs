using System.Buffers;
using TorchMmap.Format;
using TorchMmap.Internal;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>One named array of a dataset: one or more shards (same dtype and row shape) read as one long array.</summary>
internal sealed unsafe class NpyColumn : IDisposable
{
    private readonly NpyArray[] _shards;
    private readonly long[] _starts;   // _starts[i] is the first global row of shard i; _starts[^1] is the total
    private readonly bool _ownsShards;

    public NpyColumn(string name, NpyArray[] shards, bool ownsShards)
    {
        if (shards.Length == 0)
            throw new ArgumentException(Messages.Format(Messages.ColumnNoFiles, name), nameof(shards));
        Name = name;
        _shards = shards;
        _ownsShards = ownsShards;
        _starts = new long[shards.Length + 1];
        NpyArray first = shards[0];
        if (first.Rank == 0)
            throw new ArgumentException(Messages.Format(Messages.ColumnZeroDimensional, first.Path), nameof(shards));
        for (int i = 0; i < shards.Length; i++)
        {
            NpyArray s = shards[i];
            if (s.Rank == 0 || !s.DType.Equals(first.DType) || !s.RowShapeSpan.SequenceEqual(first.RowShapeSpan))
                throw new ArgumentException(Messages.Format(Messages.ColumnShardMismatch, s.Path, s.DType, NpyHeader.FormatShape(s.Rank == 0 ? [] : s.RowShapeSpan), first.Path, first.DType, NpyHeader.FormatShape(first.RowShapeSpan)), nameof(shards));
            _starts[i + 1] = _starts[i] + s.Length;
        }
    }

    public string Name { get; }

    public long Length => _starts[^1];

    public NpyDType DType => _shards[0].DType;

    public ReadOnlySpan<long> RowShape => _shards[0].RowShapeSpan;

    public IReadOnlyList<NpyArray> Shards => _shards;

    public long LoadedRowBytes => _shards[0].LoadedRowBytes;

    /// <summary>The column's dtype, whole shape, file sizes and a sample of its bytes.</summary>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public ArrayFingerprint Fingerprint()
    {
        long[] shape = [Length, .. RowShape];
        long fileBytes = _shards.Sum(s => new FileInfo(s.Path).Length);
        return new ArrayFingerprint(Name, _shards[0].Header.Descr, shape, fileBytes, DatasetFingerprint.SampleContent(_shards.Select(s => s.Path)));
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for the first index out of range.</summary>
    public void CheckIndices(ReadOnlySpan<long> indices)
    {
        if (_shards.Length == 1)
        {
            _shards[0].CheckIndices(indices);
            return;
        }
        ThrowHelper.ThrowIfAnyOutOfRange(indices, Length, $"'{Name}'", "rows", nameof(indices));
    }

    /// <summary>Copies rows at global <paramref name="indices"/> into <paramref name="dst"/>, shard by shard.</summary>
    public void Gather(ReadOnlySpan<long> indices, byte* dst, int threads)
    {
        CheckIndices(indices);
        if (_shards.Length == 1)
        {
            _shards[0].GatherCore(indices, dst, threads);
            return;
        }
        long[] local = ArrayPool<long>.Shared.Rent(indices.Length);
        try
        {
            // Consecutive positions that fall in the same shard are gathered together.
            int k = 0;
            while (k < indices.Length)
            {
                int shard = ShardOf(indices[k]);
                int end = k;
                while (end < indices.Length && indices[end] >= _starts[shard] && indices[end] < _starts[shard + 1])
                {
                    local[end] = indices[end] - _starts[shard];
                    end++;
                }
                _shards[shard].GatherCore(local.AsSpan(k, end - k), dst + k * LoadedRowBytes, threads);
                k = end;
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(local);
        }
    }

    public Tensor Gather(ReadOnlySpan<long> indices, int threads)
    {
        long[] shape = _shards[0].BatchShape(indices.Length);
        Tensor result = TensorMemory.Empty(shape, DType.ScalarType);
        try
        {
            Gather(indices, TensorMemory.DataPointer(result, nameof(result)), threads);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    public void WillNeed(ReadOnlySpan<long> indices)
    {
        if (_shards.Length == 1)
        {
            _shards[0].WillNeed(indices);
            return;
        }
        foreach (long index in indices)
        {
            if ((ulong)index < (ulong)Length)
            {
                int shard = ShardOf(index);
                _shards[shard].WillNeed([index - _starts[shard]]);
            }
        }
    }

    public void Advise(NpyAccessPattern pattern)
    {
        foreach (NpyArray shard in _shards)
            shard.Advise(pattern);
    }

    /// <summary>The data bytes of every shard.</summary>
    public long DataBytes => _shards.Sum(s => s.Header.DataLength);

    public void EnsureFilesIntact()
    {
        foreach (NpyArray shard in _shards)
            shard.EnsureFileIntact();
    }

    public void Dispose()
    {
        if (!_ownsShards)
            return;
        foreach (NpyArray shard in _shards)
            shard.Dispose();
    }

    private int ShardOf(long index)
    {
        int i = Array.BinarySearch(_starts, index);
        // An exact hit is the first row of shard i (skipping empty shards); otherwise it is inside shard ~i - 1.
        if (i >= 0)
        {
            while (i < _shards.Length - 1 && _starts[i + 1] == index)
                i++;
            return i;
        }
        return ~i - 1;
    }
}
