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

    private static string KillWriterMidWrite(TokenFileFormat format, string path) =>
        WriterKill.KillMidWrite(path, "write-tokens-forever", format.ToString(), path);
}
