using TorchMmap.Format;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>
/// Arrays past 4 GiB, as sparse files (ext4 and overlayfs allocate only the pages written), to show that row indices
/// and byte offsets are 64-bit all the way from the header to the mapping.
/// </summary>
public sealed class NpyArrayLargeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-large-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Create_MoreThanUInt32MaxRows_WritesAndReadsTheLastRows()
    {
        const long Rows = 4_500_000_000;               // > 2^32 one-byte rows: indices and offsets past 32 bits
        string path = Path.Combine(_dir, "big-u1.npy");
        long[] tail = [Rows - 3, Rows - 2, Rows - 1];
        long past32 = (1L << 32) + 5;
        using (NpyArray array = NpyArray.Create(path, NpyDType.UInt8, [Rows], reserveSpace: false))
        {
            using Tensor last = tensor(new byte[] { 7, 8, 9 });
            using Tensor middle = tensor(new byte[] { 42 });
            array.WriteRows(Rows - 3, last);
            array.WriteRows(past32, middle);
        }
        Assert.True(new FileInfo(path).Length > Rows);

        using NpyArray reopened = NpyArray.Open(path);
        Assert.Equal(Rows, reopened.Length);
        using Tensor rows = reopened.ReadRows(Rows - 3, 3);
        Assert.Equal(new byte[] { 7, 8, 9 }, rows.data<byte>().ToArray());
        using Tensor gathered = reopened.Gather([Rows - 1, 0, past32, past32 - 1, Rows - 3]);
        Assert.Equal(new byte[] { 9, 0, 42, 0, 7 }, gathered.data<byte>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => reopened.Gather([Rows]));
    }

    [Fact]
    public void Create_BigEndianRowsPastFourGiB_RoundTripThroughTheMapping()
    {
        const long Rows = 600_000_000;                 // 600M rows of 3 big-endian float32: 7.2 GB of data
        string path = Path.Combine(_dir, "big-f4.npy");
        // Sparse: the test needs offsets past 4 GiB, not 7.2 GB of disk.
        using (NpyArray array = NpyArray.Create(path, NpyDType.Parse(">f4"), [Rows, 3], reserveSpace: false))
        {
            using Tensor last = tensor(new[] { 1.5f, -2.25f, float.MaxValue, 3f, 4f, 5f }).reshape(2, 3);
            array.WriteRows(Rows - 2, last);
        }
        long dataOffset = NpyHeader.Read(path).DataOffset;
        Assert.Equal(dataOffset + Rows * 12, new FileInfo(path).Length);

        // The last element's bytes sit at the end of the file, big endian.
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read))
        {
            byte[] end = new byte[4];
            stream.Seek(-4, SeekOrigin.End);
            stream.ReadExactly(end);
            Assert.Equal(5f, System.Buffers.Binary.BinaryPrimitives.ReadSingleBigEndian(end));
        }
        using NpyArray reopened = NpyArray.Open(path);
        using Tensor rows = reopened.Gather([Rows - 1, Rows - 2, 1]);
        Assert.Equal(new[] { 3f, 4f, 5f, 1.5f, -2.25f, float.MaxValue, 0f, 0f, 0f }, rows.data<float>().ToArray());
    }
}
