using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>Row reads on hand-built files whose expected values follow from the format specification alone.</summary>
public sealed class NpyArrayReadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-read-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string dict, byte[] data)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".npy");
        File.WriteAllBytes(path, NpyBytes.File(dict, data));
        return path;
    }

    private static byte[] Int32s(params int[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void FortranOrder_LoadAndRowReads_GiveTheLogicalArray()
    {
        // Shape (2, 3) in Fortran order stores (0,0) (1,0) (0,1) (1,1) (0,2) (1,2): element (i, j) sits at i + 2j.
        string path = Write(NpyBytes.Dict("<i4", "(2, 3)", fortran: true), Int32s(0, 10, 1, 11, 2, 12));
        using NpyArray array = NpyArray.Open(path);
        Assert.True(array.IsFortranOrder);

        using Tensor all = array.ToTensor();
        Assert.True(all.is_contiguous());
        Assert.Equal(new[] { 0, 1, 2, 10, 11, 12 }, all.data<int>().ToArray());
        using Tensor loaded = Npy.Load(path);
        Assert.Equal(new[] { 0, 1, 2, 10, 11, 12 }, loaded.data<int>().ToArray());
        using Tensor second = array.ReadRows(1, 1);
        Assert.Equal(new[] { 10, 11, 12 }, second.data<int>().ToArray());
        using Tensor gathered = array.Gather([1, 0, 1]);
        Assert.Equal(new[] { 10, 11, 12, 0, 1, 2, 10, 11, 12 }, gathered.data<int>().ToArray());
    }

    [Fact]
    public void FortranOrder_ThreeDimensions_RowsFollowTheColumnMajorStrides()
    {
        // Shape (2, 2, 2): element (i, j, k) sits at i + 2j + 4k; store each element's value as 100i + 10j + k.
        int[] stored = new int[8];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 2; k++)
                    stored[i + 2 * j + 4 * k] = 100 * i + 10 * j + k;
        string path = Write(NpyBytes.Dict(">i4", "(2, 2, 2)", fortran: true), stored.Select(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness).SelectMany(BitConverter.GetBytes).ToArray());
        using NpyArray array = NpyArray.Open(path);
        using Tensor rows = array.Gather([1, 0]);
        Assert.Equal(new[] { 100, 101, 110, 111, 0, 1, 10, 11 }, rows.data<int>().ToArray());
        using Tensor all = array.ToTensor();
        Assert.Equal(new[] { 0, 1, 10, 11, 100, 101, 110, 111 }, all.data<int>().ToArray());
    }

    [Theory]
    [InlineData("<i4")]
    [InlineData(">u2")]
    [InlineData("|b1")]
    public void FortranOrder_ManyRows_ReadsAndGathersAcrossCopyBlocks(string descr)
    {
        // Rows are copied in blocks of about 1 MiB of raw bytes; 40,000 rows of 3x7 elements span several, and ">u2"
        // (widened and swapped) and "|b1" (normalised) go through the conversion pass after each block.
        const int n = 40_000, j = 3, k = 7;
        var dtype = TorchMmap.Format.NpyDType.Parse(descr);
        int item = dtype.ItemSize;
        long Value(long row, long b, long c) => descr == "|b1" ? (row + b + c) % 3 : (row * 21 + b * 7 + c) % 65_521;
        byte[] data = new byte[n * j * k * item];
        for (long row = 0; row < n; row++)
            for (long b = 0; b < j; b++)
                for (long c = 0; c < k; c++)
                {
                    // Fortran order: element (row, b, c) is stored at row + n*b + n*j*c.
                    Span<byte> at = data.AsSpan((int)((row + n * b + n * j * c) * item), item);
                    long v = Value(row, b, c);
                    if (descr == "<i4")
                        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(at, (int)v);
                    else if (descr == ">u2")
                        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)v);
                    else
                        at[0] = (byte)(v == 0 ? 0 : 0x40 + v);   // any non-zero byte is True
                }
        string path = Write(NpyBytes.Dict(descr, $"({n}, {j}, {k})", fortran: true), data);
        long[] Expected(IEnumerable<long> rows) => rows.SelectMany(row =>
            Enumerable.Range(0, j * k).Select(e => descr == "|b1" ? (Value(row, e / k, e % k) == 0 ? 0L : 1L) : Value(row, e / k, e % k))).ToArray();
        long[] Actual(Tensor t)
        {
            using Tensor wide = t.to(ScalarType.Int64);
            return wide.data<long>().ToArray();
        }
        using NpyArray array = NpyArray.Open(path);

        using Tensor all = array.ReadRows(0, n);
        Assert.Equal(Expected(Enumerable.Range(0, n).Select(r => (long)r)), Actual(all));
        using Tensor middle = array.ReadRows(17_001, 20_000);
        Assert.Equal(Expected(Enumerable.Range(17_001, 20_000).Select(r => (long)r)), Actual(middle));
        long[] shuffled = Enumerable.Range(0, 30_000).Select(i => (long)(i * 7_919L % n)).ToArray();
        using Tensor gathered = array.Gather(shuffled, threads: 2);
        Assert.Equal(Expected(shuffled), Actual(gathered));
        using Tensor none = array.ReadRows(5, 0);
        Assert.Equal(new long[] { 0, j, k }, none.shape);
    }

    [Fact]
    public void Bool_NonZeroBytes_LoadAsTrue()
    {
        // NumPy reads any non-zero byte of a bool array as True; a tensor bool must be exactly 0 or 1.
        string path = Write(NpyBytes.Dict("|b1", "(4,)"), [0, 1, 2, 255]);
        using NpyArray array = NpyArray.Open(path);
        using Tensor all = array.ToTensor();
        Assert.Equal(new byte[] { 0, 1, 1, 1 }, TensorBytes.Of(all));
        using Tensor rows = array.Gather([3, 2]);
        Assert.Equal(new byte[] { 1, 1 }, TensorBytes.Of(rows));
    }

    [Fact]
    public void WidenedTypes_LoadEveryValueExactly()
    {
        string u2 = Write(NpyBytes.Dict(">u2", "(3,)"), [0x00, 0x00, 0x80, 0x00, 0xFF, 0xFF]);
        string u4 = Write(NpyBytes.Dict("<u4", "(3,)"), [0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF]);
        using Tensor a = Npy.Load(u2);
        using Tensor b = Npy.Load(u4);
        Assert.Equal(ScalarType.Int32, a.dtype);
        Assert.Equal(new[] { 0, 0x8000, 65535 }, a.data<int>().ToArray());
        Assert.Equal(ScalarType.Int64, b.dtype);
        Assert.Equal(new[] { 0L, 0x80000000L, 4294967295L }, b.data<long>().ToArray());
    }

    [Fact]
    public void ZeroRows_ReadsGiveEmptyBatchesOfTheRowShape()
    {
        string path = Write(NpyBytes.Dict("<f4", "(0, 3)"), []);
        using NpyArray array = NpyArray.Open(path);
        Assert.Equal(0, array.Length);
        Assert.Equal(new long[] { 3 }, array.RowShape);
        using Tensor none = array.ReadRows(0, 0);
        Assert.Equal(new long[] { 0, 3 }, none.shape);
        using Tensor gathered = array.Gather([]);
        Assert.Equal(new long[] { 0, 3 }, gathered.shape);
        using Tensor all = array.ToTensor();
        Assert.Equal(new long[] { 0, 3 }, all.shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.Gather([0]));
    }

    [Fact]
    public void RowsWithoutElements_CanStillBeGathered()
    {
        string path = Write(NpyBytes.Dict("<i8", "(3, 0, 2)"), []);
        using NpyArray array = NpyArray.Open(path);
        Assert.Equal(3, array.Length);
        Assert.Equal(0, array.RowBytes);
        using Tensor rows = array.Gather([2, 2, 0]);
        Assert.Equal(new long[] { 3, 0, 2 }, rows.shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.Gather([3]));
    }

    [Fact]
    public void GatherInto_WrongDestination_ThrowsArgumentException()
    {
        string path = Write(NpyBytes.Dict("<i4", "(4, 2)"), Int32s(0, 1, 2, 3, 4, 5, 6, 7));
        using NpyArray array = NpyArray.Open(path);
        using Tensor wrongType = zeros(2, 2, dtype: ScalarType.Float32);
        using Tensor wrongShape = zeros(3, 2, dtype: ScalarType.Int32);
        using Tensor strided = zeros(2, 4, dtype: ScalarType.Int32);
        using Tensor view = strided[.., ..2];
        Assert.Throws<ArgumentException>(() => array.GatherInto([0, 1], wrongType));
        Assert.Throws<ArgumentException>(() => array.GatherInto([0, 1], wrongShape));
        Assert.Throws<ArgumentException>(() => array.GatherInto([0, 1], view));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.Gather([0], threads: 0));
    }
}
