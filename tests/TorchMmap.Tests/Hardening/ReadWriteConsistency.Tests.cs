using TorchMmap.Format;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Hardening;

/// <summary>An 'r+' writer and readers of the same file in one process see the same data after <see cref="NpyArray.Flush"/>.</summary>
public sealed class ReadWriteConsistencyTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("torchmmap-rw-");

    [Fact]
    public void WriteRows_ThenFlush_EveryReaderOfTheFileSeesTheRows()
    {
        string path = Path.Combine(_dir.FullName, "w.npy");
        using (Tensor initial = zeros([64, 8], ScalarType.Float32))
            Npy.Save(path, initial);
        using NpyArray reader = NpyArray.Open(path);
        using NpyArray copyOnWrite = NpyArray.Open(path, NpyMode.CopyOnWrite);
        using NpyArray writer = NpyArray.Open(path, NpyMode.ReadWrite);

        for (int round = 1; round <= 5; round++)
        {
            long start = round * 10;
            using Tensor rows = (arange(32, dtype: ScalarType.Float32).reshape(4, 8) + 1000 * round);
            writer.WriteRows(start, rows);
            writer.Flush();

            float[] want = rows.data<float>().ToArray();
            using (Tensor mapped = reader.ReadRows(start, 4))
                Assert.Equal(want, mapped.data<float>().ToArray());
            // A private mapping shares the pages it has not written to.
            using (Tensor cow = copyOnWrite.Gather([start, start + 1, start + 2, start + 3]))
                Assert.Equal(want, cow.data<float>().ToArray());
            using (Tensor loaded = Npy.Load(path))
                Assert.Equal(want, loaded[TensorIndex.Slice(start, start + 4)].contiguous().data<float>().ToArray());
            // And plain file reads (read(2), not the mapping) see the bytes too.
            byte[] file = File.ReadAllBytes(path);
            long offset = writer.Header.DataOffset + start * writer.RowBytes;
            float[] fromDisk = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.AsSpan((int)offset, 4 * 8 * 4)).ToArray();
            Assert.Equal(want, fromDisk);
        }
    }

    [Fact]
    public void Create_WritesThenFlush_ReaderOpenedLaterSeesThem()
    {
        string path = Path.Combine(_dir.FullName, "c.npy");
        using NpyArray created = NpyArray.Create(path, NpyDType.Int64, [100, 3]);
        using (Tensor rows = arange(300, dtype: ScalarType.Int64).reshape(100, 3))
            created.WriteRows(0, rows);
        created.Flush();

        using NpyArray reader = NpyArray.Open(path);
        using Tensor all = reader.ToTensor();

        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), all.data<long>().ToArray());
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
