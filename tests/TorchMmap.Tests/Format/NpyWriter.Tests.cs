using TorchMmap.Format;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Format;

/// <summary>Streaming rows into a new file: appends, the header fix-up, and no valid file unless completed.</summary>
public sealed class NpyWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-writer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Complete_AfterTensorAndSpanAppends_WritesAllRowsAndFixesUpTheHeader()
    {
        string path = PathOf("x.npy");
        using (var writer = NpyWriter.Create(path, NpyDType.Int32, [2, 3]))
        {
            using Tensor first = arange(0, 12, dtype: ScalarType.Int32).reshape(2, 2, 3);
            writer.Append(first);
            writer.Append<int>(Enumerable.Range(12, 6).ToArray());
            writer.Append<byte>(Enumerable.Range(18, 6).SelectMany(BitConverter.GetBytes).ToArray());
            using Tensor none = zeros(0, 2, 3, dtype: ScalarType.Int32);
            writer.Append(none);
            Assert.Equal(4, writer.RowCount);
            Assert.False(File.Exists(path));
            writer.Complete();
            Assert.True(writer.IsCompleted);
        }

        NpyHeader header = NpyHeader.Read(path);
        Assert.Equal(new long[] { 4, 2, 3 }, header.Shape);
        Assert.Equal(header.DataOffset + 96, new FileInfo(path).Length);
        // The completed header is the one np.save would write for the final shape.
        Assert.Equal(NpyHeader.Create(NpyDType.Int32, [4, 2, 3]).ToArray(), File.ReadAllBytes(path)[..(int)header.DataOffset]);
        using Tensor all = Npy.Load(path);
        Assert.Equal(Enumerable.Range(0, 24).ToArray(), all.data<int>().ToArray());
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Complete_ManyRows_KeepsTheHeaderLengthNumPyReserved()
    {
        // The provisional header says 0 rows; the final one says 123456 and must fit in the same bytes.
        string path = PathOf("many.npy");
        using (var writer = NpyWriter.Create(path, NpyDType.UInt8, []))
        {
            writer.Append<byte>(new byte[123_456]);
            writer.Complete();
        }
        using NpyArray array = NpyArray.Open(path);
        Assert.Equal(123_456, array.Length);
        Assert.Equal(128, array.Header.DataOffset);
    }

    [Theory]
    [InlineData(4096, 12, 4096)]       // rows of 3 x 32 x 32 int32 = 12 KiB: every row on whole pages
    [InlineData(128, 12, 128)]
    [InlineData(8192, 1000, 8192)]     // the provisional header (0 rows) and the final one (1000) have the same length
    [Trait("Requires", "python")]
    public void Complete_DataAligned_DataStartsAtTheAlignmentAndNumPyReadsTheSameRows(int alignment, int rows, long dataOffset)
    {
        string path = PathOf($"aligned-{alignment}-{rows}.npy");
        using Tensor data = arange(0, rows * 3 * 32 * 32, dtype: ScalarType.Int32).reshape(rows, 3, 32, 32);
        using (var writer = NpyWriter.Create(path, NpyDType.Int32, [3, 32, 32], dataAlignment: alignment))
        {
            writer.Append(data.narrow(0, 0, rows / 2));
            writer.Append(data.narrow(0, rows / 2, rows - (rows / 2)));
            writer.Complete();
        }

        NpyHeader header = NpyHeader.Read(path);
        Assert.Equal(dataOffset, header.DataOffset);
        Assert.Equal(new long[] { rows, 3, 32, 32 }, header.Shape);
        using (Tensor back = Npy.Load(path))
            Assert.True(back.eq(data).all().item<bool>());
        // NumPy with its default options (max_header_size 10,000): the same offset, shape and every element.
        string seen = NumPyScript.Run("""
import sys
import numpy as np
a = np.load(sys.argv[1], mmap_mode='r')
ok = bool((a.reshape(-1) == np.arange(a.size, dtype=np.int32)).all())
print(a.offset, a.shape, a.dtype.str, ok)
""", path).Trim();
        Assert.Equal($"{dataOffset} ({rows}, 3, 32, 32) <i4 True", seen);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(100)]
    [InlineData(16384)]
    public void Create_DataAlignmentNotAMultipleOf64UpTo8192_ThrowsNamingTheParameter(int alignment)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => NpyWriter.Create(PathOf("bad.npy"), NpyDType.UInt8, [4], dataAlignment: alignment));
        Assert.Equal("dataAlignment", ex.ParamName);
        Assert.Contains(alignment.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Dispose_WithoutComplete_LeavesNoFileAtAll()
    {
        string path = PathOf("never.npy");
        using (var writer = NpyWriter.Create(path, NpyDType.Float32, [4]))
        {
            writer.Append<float>(new float[40]);
            // Before completion the temporary file must not read as a .npy file.
            Assert.True(File.Exists(writer.TempPath));
            Assert.Throws<InvalidDataException>(() => NpyHeader.Read(writer.TempPath));
        }
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Dispose_WithoutComplete_LeavesAnExistingFileUntouched()
    {
        string path = PathOf("keep.npy");
        using (Tensor t = arange(5, dtype: ScalarType.Int64))
            Npy.Save(path, t);
        byte[] before = File.ReadAllBytes(path);
        using (var writer = NpyWriter.Create(path, NpyDType.Int64, []))
            writer.Append<long>([9, 9, 9]);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Complete_WhenTheRenameFails_LeavesNoValidFileBehind()
    {
        // A directory that appears at the final path makes the rename fail after the header is fixed up.
        string path = PathOf("taken");
        var writer = NpyWriter.Create(path, NpyDType.Int32, []);
        Directory.CreateDirectory(path);
        File.WriteAllText(System.IO.Path.Combine(path, "inside"), "x");
        writer.Append<int>([1, 2, 3]);
        Assert.ThrowsAny<IOException>(() => writer.Complete());
        Assert.False(writer.IsCompleted);
        Assert.False(File.Exists(writer.TempPath));
        writer.Dispose();
        Assert.Equal(new[] { path }, Directory.GetFileSystemEntries(_dir));
        Assert.Single(Directory.GetFileSystemEntries(path));
    }

    [Fact]
    public void Complete_ExistingFile_IsReplaced()
    {
        string path = PathOf("replace.npy");
        using (Tensor t = arange(5, dtype: ScalarType.Int64))
            Npy.Save(path, t);
        using (var writer = NpyWriter.Create(path, NpyDType.Int16, []))
        {
            writer.Append<short>([7, 8]);
            writer.Complete();
        }
        using Tensor loaded = Npy.Load(path);
        Assert.Equal(new short[] { 7, 8 }, loaded.data<short>().ToArray());
    }

    [Fact]
    public void Append_Mismatches_ThrowArgumentExceptionAndWriteNothing()
    {
        using var writer = NpyWriter.Create(PathOf("x.npy"), NpyDType.Float32, [3]);
        using Tensor wrongType = zeros(2, 3, dtype: ScalarType.Float64);
        using Tensor wrongShape = zeros(2, 4, dtype: ScalarType.Float32);
        using Tensor noRows = zeros(3, dtype: ScalarType.Float32);
        Assert.Throws<ArgumentException>(() => writer.Append(wrongType));
        Assert.Throws<ArgumentException>(() => writer.Append(wrongShape));
        Assert.Throws<ArgumentException>(() => writer.Append(noRows));
        Assert.Throws<ArgumentException>(() => writer.Append<double>(new double[3]));
        Assert.Throws<ArgumentException>(() => writer.Append<float>(new float[4]));
        Assert.Throws<ArgumentException>(() => writer.Append<byte>(new byte[11]));
        Assert.Throws<ArgumentNullException>(() => writer.Append(null!));
        Assert.Equal(0, writer.RowCount);
    }

    [Fact]
    public void Append_TensorToAConvertedDtype_IsRefusedSayingToUseSpans()
    {
        using var writer = NpyWriter.Create(PathOf("be.npy"), NpyDType.Parse(">i4"), []);
        using Tensor rows = zeros(3, dtype: ScalarType.Int32);
        ArgumentException ex = Assert.Throws<ArgumentException>(() => writer.Append(rows));
        Assert.Contains("spans", ex.Message);
    }

    [Fact]
    public void Append_AfterCompleteOrDispose_Throws()
    {
        var writer = NpyWriter.Create(PathOf("done.npy"), NpyDType.Int8, []);
        writer.Append<sbyte>([1, 2]);
        writer.Complete();
        Assert.Throws<InvalidOperationException>(() => writer.Append<sbyte>([3]));
        Assert.Throws<InvalidOperationException>(() => writer.Complete());
        writer.Dispose();
        writer.Dispose();

        var abandoned = NpyWriter.Create(PathOf("abandoned.npy"), NpyDType.Int8, []);
        abandoned.Dispose();
        Assert.Throws<ObjectDisposedException>(() => abandoned.Append<sbyte>([3]));
        Assert.Throws<ObjectDisposedException>(() => abandoned.Complete());
    }

    [Fact]
    public void AppendEmptyRows_RowsWithoutElements_CountRows()
    {
        string path = PathOf("empty-rows.npy");
        using (var writer = NpyWriter.Create(path, NpyDType.Float64, [0, 2]))
        {
            writer.AppendEmptyRows(5);
            writer.Complete();
        }
        Assert.Equal(new long[] { 5, 0, 2 }, NpyHeader.Read(path).Shape);

        using var other = NpyWriter.Create(PathOf("full-rows.npy"), NpyDType.Float64, [2]);
        Assert.Throws<InvalidOperationException>(() => other.AppendEmptyRows(1));
    }

    [Fact]
    public void Create_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => NpyWriter.Create("", NpyDType.Int8, []));
        Assert.Throws<ArgumentNullException>(() => NpyWriter.Create(PathOf("a.npy"), null!, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyWriter.Create(PathOf("a.npy"), NpyDType.Int8, [-1]));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Create_RowShapeWhoseByteCountOverflows_ThrowsAndLeavesNothing()
    {
        // Zero rows of 2^61 doubles: the file would be empty, but the reader refuses the shape, so the writer does too.
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyWriter.Create(PathOf("x.npy"), NpyDType.Float64, [1L << 61]));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Complete_LargestEmptyRowShape_WritesAFileTheReaderOpens()
    {
        string path = PathOf("edge.npy");
        using (var writer = NpyWriter.Create(path, NpyDType.Float64, [1L << 59]))
            writer.Complete();
        using NpyArray array = NpyArray.Open(path);
        Assert.Equal(new long[] { 0, 1L << 59 }, array.Shape);
    }
}
