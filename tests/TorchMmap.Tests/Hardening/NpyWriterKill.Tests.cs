using TorchMmap.Format;
using TorchMmap.Reliability;
using TorchMmap.Storage;
using TorchMmap.Tests.TestUtilities;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Hardening;

/// <summary>
/// An <see cref="NpyWriter"/> in a child process (the Reliability console's hidden <c>write-forever</c> command) is killed
/// mid-write: the final path must hold the previous file untouched, or nothing, never a short file that reads as valid.
/// </summary>
public sealed class NpyWriterKillTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("torchmmap-kill-");

    [Fact]
    public void Kill_MidWriteOverAnExistingFile_LeavesThePreviousFileUntouched()
    {
        string path = Path.Combine(_dir.FullName, "data.npy");
        using (Tensor previous = arange(12, dtype: ScalarType.Float32).reshape(3, 4))
            Npy.Save(path, previous);
        byte[] before = File.ReadAllBytes(path);

        string temp = KillWriterMidWrite(path);

        Assert.Equal(before, File.ReadAllBytes(path));
        using Tensor loaded = Npy.Load(path);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i), loaded.data<float>().ToArray());
        AssertNotReadable(temp);
    }

    [Fact]
    public void Kill_MidWriteOfANewFile_LeavesNoFileAtThePath()
    {
        string path = Path.Combine(_dir.FullName, "fresh.npy");

        string temp = KillWriterMidWrite(path);

        Assert.False(File.Exists(path));
        AssertNotReadable(temp);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    // The temporary file the killed writer leaves behind must not pass for a .npy file either.
    private static void AssertNotReadable(string temp)
    {
        Assert.True(File.Exists(temp), temp);
        Assert.True(new FileInfo(temp).Length > 4096L * WriteForever.RowLength * sizeof(float), "the child was killed before writing much");
        Assert.Throws<InvalidDataException>(() => NpyArray.Open(temp));
        Assert.Throws<InvalidDataException>(() => Npy.Load(temp));
    }

    private static string KillWriterMidWrite(string path) => WriterKill.KillMidWrite(path, "write-forever", path);
}
