using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>NumPy's mmap modes: 'r' refuses writes, 'r+' writes reach the file, 'c' writes stay in memory, 'w+' creates.</summary>
public sealed class NpyArrayModesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-modes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A (6, 2, 2) int32 file whose element e holds e; returns its path and bytes.
    private (string Path, byte[] Bytes) WriteSample(string name = "x.npy")
    {
        string path = Path.Combine(_dir, name);
        using (Tensor t = arange(24, dtype: ScalarType.Int32).reshape(6, 2, 2))
            Npy.Save(path, t);
        return (path, File.ReadAllBytes(path));
    }

    private static byte[] DataBytes(byte[] file, long offset, long length) => file.AsSpan((int)offset, (int)length).ToArray();

    [Fact]
    public void WriteRows_ReadWrite_ReachesTheFileByDispose()
    {
        (string path, byte[] before) = WriteSample();
        using Tensor rows = full(2, 2, 2, -7, dtype: ScalarType.Int32);
        long offset;
        using (NpyArray array = NpyArray.Open(path, NpyMode.ReadWrite))
        {
            Assert.Equal(NpyMode.ReadWrite, array.Mode);
            array.WriteRows(3, rows);
            offset = array.DataStart + 3 * array.RowBytes;
        }

        byte[] after = File.ReadAllBytes(path);
        Assert.Equal(before.Length, after.Length);
        Assert.Equal(TensorBytes.Of(rows), DataBytes(after, offset, 32));
        // Everything outside the written rows is as it was.
        Assert.Equal(before[..(int)offset], after[..(int)offset]);
        Assert.Equal(before[(int)(offset + 32)..], after[(int)(offset + 32)..]);
    }

    [Fact]
    public void WriteRows_ReadWrite_IsSeenByAnotherMappingAndByFlushedReaders()
    {
        (string path, _) = WriteSample();
        using NpyArray reader = NpyArray.Open(path);
        using NpyArray writer = NpyArray.Open(path, NpyMode.ReadWrite);
        using Tensor row = full(1, 2, 2, 99, dtype: ScalarType.Int32);

        writer.WriteRows(5, row);
        writer.Flush();

        using Tensor seen = reader.ReadRows(5, 1);
        Assert.Equal(TensorBytes.Of(row), TensorBytes.Of(seen));
        using Tensor loaded = Npy.Load(path);
        Assert.Equal(99, loaded[5, 1, 1].item<int>());
    }

    [Fact]
    public void WriteRows_CopyOnWrite_IsVisibleInTheMappingButNeverInTheFile()
    {
        (string path, byte[] before) = WriteSample();
        using Tensor rows = full(2, 2, 2, 123, dtype: ScalarType.Int32);
        using (NpyArray array = NpyArray.Open(path, NpyMode.CopyOnWrite))
        {
            array.WriteRows(0, rows);
            array.Flush();
            using Tensor seen = array.ReadRows(0, 2);
            Assert.Equal(TensorBytes.Of(rows), TensorBytes.Of(seen));
            using NpyArray other = NpyArray.Open(path);
            using Tensor untouched = other.ReadRows(0, 2);
            Assert.Equal(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, untouched.data<int>().ToArray());
        }
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void WriteRows_ReadOnly_IsRefusedAndTheFileIsUntouched()
    {
        (string path, byte[] before) = WriteSample();
        using (NpyArray array = NpyArray.Open(path))
        {
            using Tensor rows = zeros(1, 2, 2, dtype: ScalarType.Int32);
            InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => array.WriteRows(0, rows));
            Assert.Contains(path, ex.Message);
            Assert.Contains("NpyMode.ReadWrite", ex.Message);
        }
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void WriteRows_CallerMistakes_ThrowArgumentExceptions()
    {
        (string path, byte[] before) = WriteSample();
        using (NpyArray array = NpyArray.Open(path, NpyMode.ReadWrite))
        {
            using Tensor good = zeros(2, 2, 2, dtype: ScalarType.Int32);
            using Tensor wrongType = zeros(2, 2, 2, dtype: ScalarType.Int64);
            using Tensor wrongShape = zeros(2, 4, dtype: ScalarType.Int32);
            using Tensor scalar = zeros(Array.Empty<long>(), dtype: ScalarType.Int32);
            Assert.Throws<ArgumentOutOfRangeException>(() => array.WriteRows(5, good));
            Assert.Throws<ArgumentOutOfRangeException>(() => array.WriteRows(-1, good));
            Assert.Throws<ArgumentException>(() => array.WriteRows(0, wrongType));
            Assert.Throws<ArgumentException>(() => array.WriteRows(0, wrongShape));
            Assert.Throws<ArgumentException>(() => array.WriteRows(0, scalar));
            Assert.Throws<ArgumentNullException>(() => array.WriteRows(0, null!));
        }
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("<u2", 65536, false)]
    [InlineData("<u2", -1, false)]
    [InlineData(">u4", 4_294_967_296, false)]
    [InlineData(">u4", -1, false)]
    [InlineData("<u2", 65536, true)]
    [InlineData(">u4", -1, true)]
    public void WriteRows_ValueTheWidenedDtypeCannotHold_IsRefusedAndNothingIsWritten(string descr, long bad, bool fortran)
    {
        string path = Path.Combine(_dir, "u.npy");
        NpyDType dtype = NpyDType.Parse(descr);
        using (NpyArray array = NpyArray.Create(path, dtype, [3, 2], fortran))
        {
            using Tensor rows = tensor(new long[] { 1, 2, 3, bad, 5, 6 }).reshape(3, 2).to(dtype.ScalarType);
            ArgumentException ex = Assert.Throws<ArgumentException>(() => array.WriteRows(0, rows));
            Assert.Contains(path, ex.Message);
        }
        using Tensor all = Npy.Load(path);
        Assert.Equal(0, all.count_nonzero().item<long>());
    }

    [Fact]
    public void WriteRows_BigEndianFile_StoresBigEndianBytesAndReadsBackTheValues()
    {
        string path = Path.Combine(_dir, "be.npy");
        long[] values = [1, -2, 0x0102030405060708, long.MinValue];
        using (NpyArray array = NpyArray.Create(path, NpyDType.Parse(">i8"), [4]))
        {
            using Tensor t = tensor(values);
            array.WriteRows(0, t);
        }
        byte[] file = File.ReadAllBytes(path);
        long offset = NpyHeader.Read(path).DataOffset;
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(values[i], System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(file.AsSpan((int)offset + 8 * i)));
        using NpyArray reopened = NpyArray.Open(path);
        using Tensor read = reopened.ReadRows(0, 4);
        Assert.Equal(values, read.data<long>().ToArray());
    }

    [Fact]
    public void Create_NewFile_IsZeroFilledReadWriteWithNumPysHeader()
    {
        string path = Path.Combine(_dir, "new.npy");
        using NpyArray array = NpyArray.Create(path, NpyDType.Float64, [4, 3]);
        Assert.Equal(NpyMode.ReadWrite, array.Mode);
        Assert.Equal(new long[] { 4, 3 }, array.Shape);
        using Tensor all = array.ToTensor();
        Assert.Equal(0, all.count_nonzero().item<long>());
        byte[] header = NpyHeader.Create(NpyDType.Float64, [4, 3]).ToArray();
        Assert.Equal(header.Length + 96, new FileInfo(path).Length);
        Assert.Equal(header, File.ReadAllBytes(path)[..header.Length]);
    }

    [Fact]
    public void Create_ExistingFile_IsReplaced()
    {
        (string path, _) = WriteSample();
        using (NpyArray array = NpyArray.Create(path, NpyDType.Int16, [2]))
        {
            using Tensor t = tensor(new short[] { 5, 6 });
            array.WriteRows(0, t);
        }
        using Tensor loaded = Npy.Load(path);
        Assert.Equal(ScalarType.Int16, loaded.dtype);
        Assert.Equal(new short[] { 5, 6 }, loaded.data<short>().ToArray());
    }

    [Fact]
    public void Create_FortranOrder_WritesRowsToTheirStridedPlaces()
    {
        string path = Path.Combine(_dir, "f.npy");
        using (NpyArray array = NpyArray.Create(path, NpyDType.Int32, [2, 3], fortranOrder: true))
        {
            using Tensor rows = tensor(new[] { 0, 1, 2, 10, 11, 12 }).reshape(2, 3);
            array.WriteRows(0, rows);
        }
        // Fortran order stores column by column: (0,0) (1,0) (0,1) (1,1) (0,2) (1,2).
        byte[] file = File.ReadAllBytes(path);
        int offset = (int)NpyHeader.Read(path).DataOffset;
        int[] stored = Enumerable.Range(0, 6).Select(i => BitConverter.ToInt32(file, offset + 4 * i)).ToArray();
        Assert.Equal(new[] { 0, 10, 1, 11, 2, 12 }, stored);
    }

    [Fact]
    public void OpenNpzEntry_ReadWrite_IsRefusedBecauseItWouldBreakTheCrc()
    {
        string path = Path.Combine(_dir, "a.npz");
        using (Tensor t = arange(6, dtype: ScalarType.Int32))
            Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["x"] = t });
        ArgumentException ex = Assert.Throws<ArgumentException>(() => NpyArray.OpenNpzEntry(path, "x", NpyMode.ReadWrite));
        Assert.Contains(path, ex.Message);
        Assert.Contains("CRC", ex.Message);

        byte[] before = File.ReadAllBytes(path);
        using (NpyArray array = NpyArray.OpenNpzEntry(path, "x", NpyMode.CopyOnWrite))
        {
            using Tensor row = tensor(new[] { 42 });
            array.WriteRows(0, row);
            using Tensor seen = array.ReadRows(0, 1);
            Assert.Equal(42, seen.item<int>());
        }
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Open_UndefinedMode_Throws()
    {
        (string path, _) = WriteSample();
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyArray.Open(path, (NpyMode)7));
        Assert.Throws<ArgumentException>(() => NpyArray.Open(""));
        Assert.Throws<FileNotFoundException>(() => NpyArray.Open(Path.Combine(_dir, "missing.npy")));
    }

    [Fact]
    public void Dispose_Twice_IsANoOpAndUseAfterDisposeThrows()
    {
        (string path, _) = WriteSample();
        NpyArray array = NpyArray.Open(path, NpyMode.ReadWrite);
        array.Dispose();
        array.Dispose();
        Assert.True(array.IsDisposed);
        using Tensor row = zeros(1, 2, 2, dtype: ScalarType.Int32);
        Assert.Throws<ObjectDisposedException>(() => array.ReadRows(0, 1));
        Assert.Throws<ObjectDisposedException>(() => array.Gather([0]));
        Assert.Throws<ObjectDisposedException>(() => array.ToTensor());
        Assert.Throws<ObjectDisposedException>(() => array.WriteRows(0, row));
        Assert.Throws<ObjectDisposedException>(() => array.Flush());
        Assert.Throws<ObjectDisposedException>(() => array.EnsureFileIntact());
    }

    [Fact]
    public void Tensors_ReadBeforeDispose_StayValidAfterIt()
    {
        (string path, _) = WriteSample();
        Tensor rows;
        using (NpyArray array = NpyArray.Open(path))
            rows = array.Gather([5, 0]);
        using (rows)
            Assert.Equal(new[] { 20, 21, 22, 23, 0, 1, 2, 3 }, rows.data<int>().ToArray());
    }
}
