namespace TorchMmap.Storage;

public sealed unsafe partial class RaggedArray
{
    /// <summary>Leases on the values and the index, taken once for a batch of reads (one length check per file) and released
    /// together; for a concatenation, one reader per shard, taken the first time the batch touches that shard.</summary>
    internal readonly struct Reader : IDisposable
    {
        private readonly RaggedArray _array;
        private readonly MappedFile.Lease _values;
        private readonly MappedFile.Lease _index;
        private readonly Reader[]? _shards;
        private readonly bool[]? _held;

        public Reader(RaggedArray array)
        {
            _array = array;
            if (array._shards is not null)
            {
                _shards = new Reader[array._shards.Length];
                _held = new bool[array._shards.Length];
                return;
            }
            _values = array.Values.AcquireForAccess();
            try
            {
                _index = array._index.Acquire();
            }
            catch
            {
                _values.Dispose();
                throw;
            }
        }

        /// <summary>Copies <paramref name="count"/> values from value <paramref name="first"/> on to <paramref name="destination"/>, as
        /// stored (single arrays only; the caller checked the range).</summary>
        /// <exception cref="InvalidDataException">The values file no longer backs the values.</exception>
        public void CopyStored(long first, long count, byte* destination)
        {
            int item = _array.Values.DType.ItemSize;
            _values.Read(_array.Values.DataStart + first * item, destination, count * item);
        }

        /// <summary>The first value and the length of row <paramref name="row"/> (single arrays only).</summary>
        public void Range(long row, out long start, out long length) => _array._index.Range(_index, row, out start, out length);

        public long LengthOf(long row)
        {
            if (_shards is not null)
            {
                int k = Shard(ref row);
                return _shards[k].LengthOf(row);
            }
            _array._index.Range(_index, row, out _, out long length);
            return length;
        }

        /// <summary>Widens values [offset, offset + count) of row <paramref name="row"/> to int64; the caller checked the range.</summary>
        public void Copy(long row, long offset, long count, long* dst)
        {
            if (_shards is not null)
            {
                int k = Shard(ref row);
                _shards[k].Copy(row, offset, count, dst);
                return;
            }
            _array._index.Range(_index, row, out long start, out _);
            _array.Values.WidenTokens(_values, start + offset, count, dst);
        }

        /// <summary>Hints that values [offset, offset + count) of row <paramref name="row"/> will be read soon.</summary>
        public void WillNeed(long row, long offset, long count)
        {
            if (_shards is not null)
            {
                int k = Shard(ref row);
                _shards[k].WillNeed(row, offset, count);
                return;
            }
            _array._index.Range(_index, row, out long start, out _);
            _array.Values.WillNeedElements(start + offset, count);
        }

        public void Dispose()
        {
            if (_shards is not null)
            {
                for (int k = 0; k < _shards.Length; k++)
                {
                    if (_held![k])
                    {
                        _held[k] = false;
                        _shards[k].Dispose();
                    }
                }
                return;
            }
            _index.Dispose();
            _values.Dispose();
        }

        // Turns a global row into the shard's own row, opening that shard's reader on first use.
        private int Shard(ref long row)
        {
            int k = _array.ShardOf(row);
            row -= _array._shardStarts![k];
            if (!_held![k])
            {
                _shards![k] = _array._shards![k].OpenReader();
                _held[k] = true;
            }
            return k;
        }
    }
}
