using System.Diagnostics;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchMmap.Tests.TestUtilities;

namespace TorchMmap.Tests.Hardening;

/// <summary>
/// A <see cref="TokenWriter"/> in a child process (the Reliability console's hidden <c>write-tokens-forever</c> command) is
/// killed mid-write: the final path holds the previous file untouched, or nothing.
/// </summary>
public sealed class TokenWriterKillTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("torchmmap-tokenkill-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData(TokenFileFormat.Llmc)]
    [InlineData(TokenFileFormat.Raw)]
    [InlineData(TokenFileFormat.Npy)]
    public void Kill_MidWriteOverAnExistingFile_LeavesThePreviousFileUntouched(TokenFileFormat format)
    {
        string path = Path.Combine(_dir.FullName, "tokens.bin");
        using (TokenWriter previous = TokenWriter.Create(path, format, NpyDType.Parse("<u2")))
        {
            previous.Write(new long[] { 50256, 15496, 995 });
            previous.Complete();
        }
        byte[] before = File.ReadAllBytes(path);

        string temp = KillWriterMidWrite(format, path);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.True(new FileInfo(temp).Length > 1 << 21, "the child was killed before writing much");
        // A killed llm.c or .npy writer's temporary file has a zeroed header, which no reader accepts.
        if (format == TokenFileFormat.Llmc)
            Assert.Throws<InvalidDataException>(() => TokenFile.OpenLlmc(temp));
        if (format == TokenFileFormat.Npy)
            Assert.Throws<InvalidDataException>(() => TokenFile.OpenNpy(temp));
        Assert.StartsWith(".", Path.GetFileName(temp), StringComparison.Ordinal);
    }

    [Fact]
    public void Kill_MidWriteOfANewShard_LeavesNoFileAtThePath()
    {
        string path = Path.Combine(_dir.FullName, "fresh.bin");
        KillWriterMidWrite(TokenFileFormat.Llmc, path);
        Assert.False(File.Exists(path));
    }

    private static string KillWriterMidWrite(TokenFileFormat format, string path)
    {
        string dll = BuiltProgram.Reliability;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("write-tokens-forever");
        start.ArgumentList.Add(format.ToString());
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
