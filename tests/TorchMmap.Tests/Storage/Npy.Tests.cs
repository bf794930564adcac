using System.IO.Compression;
using TorchMmap.Format;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>The whole-array facade: <see cref="Npy.Save"/>, <see cref="Npy.Load"/>, <see cref="Npy.SaveNpz"/> and <see cref="Npy.LoadNpz"/>.</summary>
public sealed class NpyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-npy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Save_ThenLoad_RoundTripsValuesShapeAndType()
    {
        string path = PathOf("x.npy");
        using var generator = new Generator(21);
        using Tensor t = randn(4, 3, 2, dtype: ScalarType.Float64, generator: generator);
        Npy.Save(path, t);
        using Tensor loaded = Npy.Load(path);
        Assert.Equal(t.shape, loaded.shape);
        Assert.Equal(ScalarType.Float64, loaded.dtype);
        Assert.Equal(TensorBytes.Of(t), TensorBytes.Of(loaded));
    }

    [Fact]
    public void Save_OverAnExistingFile_ReplacesItAndLeavesNoTemporaryFile()
    {
        string path = PathOf("x.npy");
        using (Tensor a = arange(100, dtype: ScalarType.Int64))
            Npy.Save(path, a);
        using (Tensor b = arange(3, dtype: ScalarType.Int8))
            Npy.Save(path, b);
        using Tensor loaded = Npy.Load(path);
        Assert.Equal(new sbyte[] { 0, 1, 2 }, loaded.data<sbyte>().ToArray());
        Assert.Single(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Save_TypeWithoutANumPyDtype_ThrowsNotSupportedAndWritesNothing()
    {
        string path = PathOf("bf16.npy");
        using Tensor t = zeros(3, dtype: ScalarType.BFloat16);
        NotSupportedException ex = Assert.Throws<NotSupportedException>(() => Npy.Save(path, t));
        Assert.Contains("BFloat16", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Save_InvalidArguments_Throw()
    {
        using Tensor t = zeros(1);
        Assert.Throws<ArgumentException>(() => Npy.Save("", t));
        Assert.Throws<ArgumentNullException>(() => Npy.Save(PathOf("x.npy"), null!));
        Assert.Throws<ArgumentException>(() => Npy.Load(""));
        Assert.Throws<FileNotFoundException>(() => Npy.Load(PathOf("missing.npy")));
    }

    [Fact]
    public void Load_AnNpzFileOfOneArray_LoadsItAsNpLoadReadsIt()
    {
        // np.load tells an archive by its first bytes, whatever its name.
        string path = PathOf("a.npy");
        using (Tensor t = arange(2, dtype: ScalarType.Int64))
            Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["x"] = t });
        using Tensor back = Npy.Load(path);
        Assert.Equal(new long[] { 0, 1 }, back.data<long>().ToArray());
    }

    [Fact]
    public void SaveNpz_ThenLoadNpz_RoundTripsEveryArray()
    {
        string path = PathOf("a.npz");
        using Tensor x = arange(12, dtype: ScalarType.Float32).reshape(4, 3);
        using Tensor y = tensor(new[] { true, false, true });
        using Tensor s = tensor(2.5);
        foreach (bool compress in new[] { false, true })
        {
            Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y, ["s"] = s }, compress);
            Assert.All(NpzArchive.Read(path).Entries, e => Assert.Equal(!compress, e.IsStored));
            Dictionary<string, Tensor> loaded = Npy.LoadNpz(path);
            try
            {
                Assert.Equal(new[] { "s", "x", "y" }, loaded.Keys.Order());
                Assert.Equal(TensorBytes.Of(x), TensorBytes.Of(loaded["x"]));
                Assert.Equal(TensorBytes.Of(y), TensorBytes.Of(loaded["y"]));
                Assert.Equal(0, loaded["s"].dim());
                Assert.Equal(2.5, loaded["s"].item<double>());
            }
            finally
            {
                foreach (Tensor t in loaded.Values)
                    t.Dispose();
            }
        }
    }

    [Fact]
    public void SaveNpz_EmptyName_ThrowsAndLeavesNoFile()
    {
        using Tensor t = zeros(2);
        Assert.Throws<ArgumentException>(() => Npy.SaveNpz(PathOf("a.npz"), new Dictionary<string, Tensor> { [""] = t }));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Optimal)]
    public void LoadNpz_EntryShorterThanItsHeaderSays_IsRefusedNamingArchiveAndEntry(CompressionLevel level)
    {
        string path = PathOf("short.npz");
        WriteZip(path, level, ("x.npy", NpyBytes.File(NpyBytes.Dict("<f8", "(1000,)"), new byte[80])));
        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Npy.LoadNpz(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("x", ex.Message);
    }

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Optimal)]
    public void LoadNpz_ObjectArrayEntry_IsRefusedAsNotSupported(CompressionLevel level)
    {
        string path = PathOf("object.npz");
        WriteZip(path, level, ("o.npy", NpyBytes.File(NpyBytes.Dict("|O", "(2,)"), new byte[16])));
        NotSupportedException ex = Assert.Throws<NotSupportedException>(() => Npy.LoadNpz(path));
        Assert.Contains("|O", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void LoadNpz_NotAZipFile_IsRefusedNamingTheFile()
    {
        string empty = PathOf("empty.npz");
        File.WriteAllBytes(empty, []);
        string npy = PathOf("plain.npz");
        using (Tensor t = zeros(2))
            Npy.Save(npy, t);
        foreach (string path in new[] { empty, npy })
        {
            InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Npy.LoadNpz(path));
            Assert.Contains(path, ex.Message);
        }
    }

    [Fact]
    public void OpenNpzEntry_StoredByAnotherZipWriter_MapsInPlace()
    {
        // Any zip writer's stored entries work, not only NumPy's: here .NET's ZipArchive.
        string path = PathOf("dotnet.npz");
        byte[] data = Enumerable.Range(0, 6).SelectMany(i => BitConverter.GetBytes((short)(i * 1000))).ToArray();
        WriteZip(path, CompressionLevel.NoCompression, ("first.npy", NpyBytes.File(NpyBytes.Dict("<f4", "(1,)"), new byte[4])), ("w.npy", NpyBytes.File(NpyBytes.Dict("<i2", "(3, 2)"), data)));
        using NpyArray array = NpyArray.OpenNpzEntry(path, "w.npy");
        using Tensor rows = array.Gather([2, 0]);
        Assert.Equal(new short[] { 4000, 5000, 0, 1000 }, rows.data<short>().ToArray());
    }

    [Fact]
    public void LoadNpz_CompressedEntryWithAWrongCrc_IsRefusedAsCorrupt()
    {
        string path = PathOf("crc.npz");
        using (Tensor t = arange(1000, dtype: ScalarType.Int32))
            Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["x"] = t }, compress: true);
        byte[] bytes = File.ReadAllBytes(path);
        int central = LastIndexOf(bytes, [0x50, 0x4b, 0x01, 0x02]);
        bytes[central + 16] ^= 0x01;    // the CRC-32 field of the central directory header
        File.WriteAllBytes(path, bytes);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Npy.LoadNpz(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("CRC-32", ex.Message);
    }

    [Fact]
    public void LoadNpz_CorruptCompressedData_IsRefusedNamingTheArchive()
    {
        string path = PathOf("corrupt.npz");
        using (Tensor t = arange(5000, dtype: ScalarType.Int64))
            Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["x"] = t }, compress: true);
        NpzEntry entry = NpzArchive.Read(path).Entries[0];
        byte[] bytes = File.ReadAllBytes(path);
        bytes[entry.DataOffset + entry.CompressedSize / 2] ^= 0x5A;
        File.WriteAllBytes(path, bytes);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => Npy.LoadNpz(path));
        Assert.Contains(path, ex.Message);
    }

    private static int LastIndexOf(byte[] bytes, byte[] pattern) => bytes.AsSpan().LastIndexOf(pattern);

    private static void WriteZip(string path, CompressionLevel level, params (string Name, byte[] Bytes)[] entries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach ((string name, byte[] bytes) in entries)
        {
            using Stream s = zip.CreateEntry(name, level).Open();
            s.Write(bytes);
        }
    }
}
