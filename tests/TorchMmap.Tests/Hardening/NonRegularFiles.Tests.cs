using System.Diagnostics;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Idx;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Hardening;

/// <summary>
/// Every reader refuses what is not a regular file before opening it: opening a FIFO that has no writer blocks forever,
/// and a character device never ends. Each call runs on its own task with a deadline, so a hang fails the test instead of
/// stalling the run.
/// </summary>
public sealed class NonRegularFilesTests : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("torchmmap-fifo-");

    public static TheoryData<string> Readers() =>
    [
        "NpyArray.Open", "NpyArray.Open r+", "NpyArray.Open c", "NpyArray.OpenRaw", "NpyArray.OpenNpzEntry", "Npy.Load", "Npy.LoadNpz",
        "NpyHeader.Read", "NpzArchive.Read", "NpyMmapDataset.Open", "NpyMmapDataset.OpenShards", "IdxConverter.Convert", "IdxReader.Open",
        "TokenFile.OpenNpy", "TokenFile.OpenLlmc", "TokenStream.OpenNanoGpt", "LlmcShardHeader.Read",
    ];

    [Theory]
    [MemberData(nameof(Readers))]
    public void Reader_FifoWithoutWriter_RefusedPromptlyNamingTheFile(string reader)
    {
        string fifo = Path.Combine(_dir.FullName, "pipe.npy");
        MakeFifo(fifo);

        IOException ex = AssertRefused(reader, fifo);

        Assert.Contains(fifo, ex.Message, StringComparison.Ordinal);
        Assert.Contains("FIFO", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NpyArray.Open")]
    [InlineData("Npy.Load")]
    [InlineData("NpyHeader.Read")]
    [InlineData("IdxReader.Open")]
    [InlineData("TokenStream.OpenNanoGpt")]
    public void Reader_CharacterDevice_RefusedNamingTheFile(string reader)
    {
        IOException ex = AssertRefused(reader, "/dev/zero");

        Assert.Contains("'/dev/zero' is a character device", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_SymbolicLinkToARegularFile_Reads()
    {
        string target = Path.Combine(_dir.FullName, "a.npy");
        using (TorchSharp.torch.Tensor t = TorchSharp.torch.arange(6, dtype: TorchSharp.torch.ScalarType.Int32))
            Npy.Save(target, t);
        string link = Path.Combine(_dir.FullName, "link.npy");
        File.CreateSymbolicLink(link, target);

        using NpyArray array = NpyArray.Open(link);

        Assert.Equal(6, array.Length);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private IOException AssertRefused(string reader, string path)
    {
        Action call = Call(reader, path);
        var task = Task.Run(call);
        var clock = Stopwatch.StartNew();
        bool ended = ((IAsyncResult)task).AsyncWaitHandle.WaitOne(s_deadline) || task.IsCompleted;
        if (!ended)
        {
            // Open the FIFO for writing once, so the hung reader is released before the test fails.
            try
            {
                using var release = new FileStream(path, FileMode.Open, FileAccess.Write);
            }
            catch (IOException)
            {
            }
            Assert.Fail($"{reader} hung on '{path}' for {clock.Elapsed}.");
        }
        Assert.True(task.IsFaulted, $"{reader} read '{path}' without an exception.");
        Exception inner = task.Exception!.InnerException!;
        return Assert.IsType<IOException>(inner, exactMatch: true);
    }

    private Action Call(string reader, string path) => reader switch
    {
        "NpyArray.Open" => () => NpyArray.Open(path).Dispose(),
        "NpyArray.Open r+" => () => NpyArray.Open(path, NpyMode.ReadWrite).Dispose(),
        "NpyArray.Open c" => () => NpyArray.Open(path, NpyMode.CopyOnWrite).Dispose(),
        "NpyArray.OpenRaw" => () => NpyArray.OpenRaw(path, NpyDType.UInt8).Dispose(),
        "NpyArray.OpenNpzEntry" => () => NpyArray.OpenNpzEntry(path, "x").Dispose(),
        "Npy.Load" => () => Npy.Load(path).Dispose(),
        "Npy.LoadNpz" => () => Npy.LoadNpz(path),
        "NpyHeader.Read" => () => NpyHeader.Read(path),
        "NpzArchive.Read" => () => NpzArchive.Read(path),
        "NpyMmapDataset.Open" => () => NpyMmapDataset.Open(("x", path)).Dispose(),
        "NpyMmapDataset.OpenShards" => () => NpyMmapDataset.OpenShards(("x", new[] { path })).Dispose(),
        "IdxConverter.Convert" => () => IdxConverter.Convert(path, Path.Combine(_dir.FullName, "out.npy")),
        "IdxReader.Open" => () => IdxReader.Open(path).Dispose(),
        "TokenFile.OpenNpy" => () => TokenFile.OpenNpy(path).Dispose(),
        "TokenFile.OpenLlmc" => () => TokenFile.OpenLlmc(path).Dispose(),
        "TokenStream.OpenNanoGpt" => () => TokenStream.OpenNanoGpt(path).Dispose(),
        "LlmcShardHeader.Read" => () => LlmcShardHeader.Read(path),
        _ => throw new ArgumentException(reader, nameof(reader)),
    };

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]) ?? throw new InvalidOperationException("mkfifo did not start.");
        Assert.True(mkfifo.WaitForExit(10_000));
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
