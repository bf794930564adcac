using System.Diagnostics;
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

    // Starts the child, waits until it has written thousands of rows (it prints its temporary path), and kills it.
    private static string KillWriterMidWrite(string path)
    {
        string dll = BuiltProgram.Reliability;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("write-forever");
        start.ArgumentList.Add(path);
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        try
        {
            Task<string?> line = child.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null)
                throw new InvalidOperationException("The writer never reported progress: " + child.StandardError.ReadToEnd());
            string temp = line.Result;
            long size = new FileInfo(temp).Length;
            // Kill while the file is still growing, i.e. really mid-write.
            var clock = Stopwatch.StartNew();
            while (new FileInfo(temp).Length == size && clock.Elapsed < TimeSpan.FromSeconds(10))
                Thread.Sleep(1);
            Assert.False(child.HasExited);
            child.Kill(entireProcessTree: true);
            Assert.True(child.WaitForExit(30_000));
            return temp;
        }
        finally
        {
            if (!child.HasExited)
                child.Kill(entireProcessTree: true);
        }
    }
}
