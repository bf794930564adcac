using System.Text;
using TorchMmap.Format;
using TorchMmap.Idx;
using TorchMmap.Storage;
using TorchMmap.Tests.Idx;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Hardening;

/// <summary>
/// Writers on a full disk and over what np.save keeps: symbolic links, device nodes, another user's file, and names
/// up to the 255-byte limit. Runs as root (CI does): it mounts a 1 MiB tmpfs and makes device nodes.
/// </summary>
public sealed class HostileFileSystemTests : IDisposable
{
    private const int Nobody = 65534;

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void NpyArrayCreate_DiskTooSmall_ThrowsIOExceptionAndLeavesNothing()
    {
        using var disk = new TmpfsMount("1m");
        string path = Path.Combine(disk.Path, "big.npy");
        var e = Assert.Throws<IOException>(() => NpyArray.Create(path, NpyDType.Float32, [1 << 20]));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
    }

    [Fact]
    public void NpyArrayCreate_FitsTheDisk_IsReservedSoWritesThroughTheMappingSucceed()
    {
        using var disk = new TmpfsMount("1m");
        string path = Path.Combine(disk.Path, "fits.npy");
        long before = disk.FreeBytes;
        using NpyArray array = NpyArray.Create(path, NpyDType.UInt8, [600 * 1024]);
        // The blocks are taken at Create, not when the mapping is first written.
        Assert.True(before - disk.FreeBytes >= 600 * 1024, $"only {before - disk.FreeBytes} bytes were reserved");
        using Tensor ones = full(600 * 1024, 1, dtype: ScalarType.Byte);
        array.WriteRows(0, ones);
        array.Flush();
        using Tensor back = array.ReadRows(0, 600 * 1024);
        using Tensor sum = back.sum();
        Assert.Equal(600 * 1024, sum.item<long>());
    }

    [Fact]
    public void NpyWriter_AppendFailsOnAFullDisk_RefusesEverythingAfterAndLeavesNothing()
    {
        using var disk = new TmpfsMount("1m");
        string path = Path.Combine(disk.Path, "rows.npy");
        long free = disk.FreeBytes;
        var writer = NpyWriter.Create(path, NpyDType.UInt8, [1024]);
        byte[] rows = new byte[2 << 20];
        Assert.Throws<IOException>(() => writer.Append<byte>(rows));
        // Space came back: the temporary file is gone at the failure, not at dispose.
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
        Assert.Equal(free, disk.FreeBytes);
        var again = Assert.Throws<InvalidOperationException>(() => writer.Append<byte>(new byte[1024]));
        Assert.Contains(path, again.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => writer.Complete());
        writer.Dispose();
        writer.Dispose();
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
    }

    [Fact]
    public void NpyWriter_DisposeWithBufferedRowsOnAFullDisk_DoesNotThrowAndLeavesNothing()
    {
        using var disk = new TmpfsMount("1m");
        string path = Path.Combine(disk.Path, "rows.npy");
        var writer = NpyWriter.Create(path, NpyDType.UInt8, [1000]);
        // Small appends stay in the writer's buffer until it overflows; the disk fills on one of them or on dispose.
        try
        {
            for (int i = 0; i < 2000; i++)
                writer.Append<byte>(new byte[1000]);
        }
        catch (IOException)
        {
        }
        writer.Dispose();
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
    }

    [Fact]
    public void NpySave_DiskFull_ThrowsIOExceptionKeepsTheOldFileAndLeavesNoTemporary()
    {
        using var disk = new TmpfsMount("1m");
        string path = Path.Combine(disk.Path, "x.npy");
        using (Tensor small = arange(10, dtype: ScalarType.Int64))
            Npy.Save(path, small);
        byte[] old = File.ReadAllBytes(path);
        using Tensor big = zeros(2 << 20, dtype: ScalarType.Byte);
        Assert.ThrowsAny<IOException>(() => Npy.Save(path, big));
        Assert.Equal(new[] { path }, Directory.GetFileSystemEntries(disk.Path));
        Assert.Equal(old, File.ReadAllBytes(path));
    }

    [Fact]
    public void IdxConverter_DiskFull_ThrowsIOExceptionAndLeavesNoTemporary()
    {
        using var disk = new TmpfsMount("1m");
        string idx = PathOf("images.idx");
        File.WriteAllBytes(idx, IdxFiles.UInt8(new byte[2 << 20], 2048, 32, 32));
        string npy = Path.Combine(disk.Path, "images.npy");
        Assert.ThrowsAny<IOException>(() => IdxConverter.Convert(idx, npy));
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
    }

    [Fact]
    public void NpySave_ThroughASymlink_WritesTheTargetAndKeepsTheLink()
    {
        Directory.CreateDirectory(PathOf("data"));
        string target = PathOf("data/real.npy");
        string link = PathOf("link.npy");
        using (Tensor first = arange(3, dtype: ScalarType.Int32))
            Npy.Save(target, first);
        File.CreateSymbolicLink(link, "data/real.npy");
        using (Tensor second = arange(5, dtype: ScalarType.Int32))
            Npy.Save(link, second);
        Assert.Equal("data/real.npy", new FileInfo(link).LinkTarget);
        using Tensor back = Npy.Load(target);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, back.data<int>().ToArray());
        Assert.Equal(new[] { "link.npy", "data" }.Order(), Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order());
        Assert.Equal(new[] { "real.npy" }, Directory.GetFiles(PathOf("data")).Select(Path.GetFileName));
    }

    [Fact]
    public void Writers_ThroughADanglingSymlink_CreateTheTarget()
    {
        string link = PathOf("dangling.npy");
        File.CreateSymbolicLink(link, "made.npy");
        using (NpyArray array = NpyArray.Create(link, NpyDType.Int16, [4]))
            Assert.Equal(4, array.Length);
        Assert.Equal("made.npy", new FileInfo(link).LinkTarget);
        Assert.Equal(new long[] { 4 }, NpyHeader.Read(PathOf("made.npy")).Shape);
    }

    [Fact]
    public void NpySave_OntoACharacterDevice_WritesThroughItAndKeepsTheNode()
    {
        Shell.RequireRoot();
        string node = PathOf("null");
        Shell.Check("mknod", node, "c", "1", "3");
        using (Tensor t = arange(1000, dtype: ScalarType.Float32))
        {
            Npy.Save(node, t);
            Npy.SaveNpz(node, new Dictionary<string, Tensor> { ["x"] = t });
        }
        Assert.StartsWith("character special file", Shell.Check("stat", "-c", "%F", node), StringComparison.Ordinal);
        Assert.Equal(new[] { node }, Directory.GetFileSystemEntries(_dir));
        // Writers that seek or map their output refuse it instead, naming it.
        var e = Assert.Throws<IOException>(() => NpyArray.Create(node, NpyDType.Int8, [4]));
        Assert.Contains(node, e.Message, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => NpyWriter.Create(node, NpyDType.Int8, []));
        Assert.StartsWith("character special file", Shell.Check("stat", "-c", "%F", node), StringComparison.Ordinal);
    }

    [Fact]
    public void NpySave_OverAnotherUsersPrivateFile_KeepsItsOwnerAndMode()
    {
        Shell.RequireRoot();
        string path = PathOf("theirs.npy");
        using (Tensor first = arange(3, dtype: ScalarType.Int32))
            Npy.Save(path, first);
        Shell.Check("chown", $"{Nobody}:{Nobody}", path);
        Shell.Check("chmod", "600", path);
        using (Tensor second = arange(7, dtype: ScalarType.Int32))
            Npy.Save(path, second);
        Assert.Equal($"{Nobody}:{Nobody} 600", Shell.Check("stat", "-c", "%u:%g %a", path).Trim());
        // Its owner can still read it, and reads the new data.
        Shell.Check("chmod", "755", _dir);
        string digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();
        Assert.StartsWith(digest, Shell.Check("runuser", "-u", "nobody", "--", "sha256sum", path), StringComparison.Ordinal);

        using (NpyArray array = NpyArray.Create(path, NpyDType.Int8, [2]))
            Assert.Equal(2, array.Length);
        Assert.Equal($"{Nobody}:{Nobody} 600", Shell.Check("stat", "-c", "%u:%g %a", path).Trim());
        using (var writer = NpyWriter.Create(path, NpyDType.Int8, []))
        {
            writer.Append<sbyte>([1, 2]);
            writer.Complete();
        }
        Assert.Equal($"{Nobody}:{Nobody} 600", Shell.Check("stat", "-c", "%u:%g %a", path).Trim());
    }

    [Theory]
    [InlineData(218)]
    [InlineData(255)]
    public void Writers_NamesUpToTheLimit_Work(int nameBytes)
    {
        // Multi-byte characters too: the temporary name is shortened at a character boundary.
        string stem = string.Concat(Enumerable.Repeat("é", (nameBytes - 4) / 2)) + new string('a', (nameBytes - 4) % 2);
        string name = stem + ".npy";
        Assert.Equal(nameBytes, Encoding.UTF8.GetByteCount(name));
        string path = PathOf(name);
        using (Tensor t = arange(4, dtype: ScalarType.Int64))
        {
            Npy.Save(path, t);
            using Tensor back = Npy.Load(path);
            Assert.Equal(new long[] { 0, 1, 2, 3 }, back.data<long>().ToArray());
            Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["t"] = t });
            Dictionary<string, Tensor> loaded = Npy.LoadNpz(path);
            Assert.Equal(new long[] { 4 }, loaded["t"].shape);
            loaded["t"].Dispose();
        }
        using (var writer = NpyWriter.Create(path, NpyDType.Int8, []))
        {
            writer.Append<sbyte>([1]);
            writer.Complete();
        }
        using (NpyArray array = NpyArray.Create(path, NpyDType.Int8, [3]))
            Assert.Equal(3, array.Length);
        Assert.Equal(new[] { path }, Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void NpyArrayCreate_OverAMappedFile_LeavesTheOldMappingItsData()
    {
        string path = PathOf("live.npy");
        using (Tensor t = arange(1 << 16, dtype: ScalarType.Int32))
            Npy.Save(path, t);
        using NpyArray old = NpyArray.Open(path);
        using (NpyArray created = NpyArray.Create(path, NpyDType.Int32, [1 << 16]))
        {
            using Tensor zeros = created.ReadRows(0, 1 << 16);
            Assert.Equal(0, zeros.count_nonzero().item<long>());
        }
        // The old file was replaced by rename, not truncated under its mapping.
        using Tensor rows = old.ReadRows(0, 1 << 16);
        using Tensor expected = arange(1 << 16, dtype: ScalarType.Int32);
        Assert.Equal(expected.data<int>().ToArray(), rows.data<int>().ToArray());
    }
}
