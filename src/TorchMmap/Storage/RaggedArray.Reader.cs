namespace TorchMmap.Storage;

public sealed unsafe partial class RaggedArray
{
    /// <summary>Leases on the values and the index, taken once for a batch of reads (one length check per file) and released together.</summary>
    internal readonly struct Reader : IDisposable
    {
        private readonly RaggedArray _array;
        private readonly MappedFile.Lease _values;
        private readonly MappedFile.Lease _index;

        public Reader(RaggedArray array)
        {
            _array = array;
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

        /// <summary>The address of the first value.</summary>
        public byte* ValuesPointer => _values.Pointer + _array.Values.DataStart;

        public void Range(long row, out long start, out long length) => _array._index.Range(_index, row, out start, out length);

        public long LengthOf(long row)
        {
            _array._index.Range(_index, row, out _, out long length);
            return length;
        }

        /// <summary>Widens values [offset, offset + count) of row <paramref name="row"/> to int64; the caller checked the range.</summary>
        public void Copy(long row, long offset, long count, long* dst)
        {
            _array._index.Range(_index, row, out long start, out _);
            _array.Values.WidenTokens(_values, start + offset, count, dst);
        }

        /// <summary>Hints that values [offset, offset + count) of row <paramref name="row"/> will be read soon.</summary>
        public void WillNeed(long row, long offset, long count)
        {
            _array._index.Range(_index, row, out long start, out _);
            _array.Values.WillNeedElements(start + offset, count);
        }

        public void Dispose()
        {
            _index.Dispose();
            _values.Dispose();
        }
    }
}
