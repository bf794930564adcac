using TorchMmap.Format;
using TorchMmap.Tests.TestUtilities;

namespace TorchMmap.Tests.Hardening;

/// <summary>
/// Files shrunk, regrown or replaced by another process while a reader copies out of their mapping. Touching a page the
/// file no longer backs raises SIGBUS, which no .NET code can catch, so each reader runs in a child process (the
/// Reliability console's <c>read-while-changed</c>) and the test asserts that the child ended normally: with an
/// <see cref="InvalidDataException"/> naming the file, or with every read done when the file still holds the data.
/// Each case runs with file leases (plain copies, the default) and without (every copy made by the kernel).
/// </summary>
public sealed class ConcurrentChangeTests : IDisposable
{
    // uint8 (256, 3, 224, 224): batches of 32 rows are 4.8 MB, so a change lands mid-copy often.
    private static readonly long[] s_shape = [256, 3, 224, 224];
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(90);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("torchmmap-change-");

    public static TheoryData<string, string, bool> ShrinkCases()
    {
        var cases = new TheoryData<string, string, bool>();
        foreach (bool leases in new[] { true, false })
        {
            foreach (string kind in new[] { "loader0", "loader2", "gather", "gather2", "readrows", "totensor", "writerows", "tokens", "fortran-gather", "fortran-readrows" })
                cases.Add(kind, "mid-data", leases);
            foreach (string change in new[] { "zero", "mid-header" })
                cases.Add("loader2", change, leases);
            cases.Add("fortran-gather", "zero", leases);
            cases.Add("gather2", "mid-header", leases);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(ShrinkCases))]
    public void Shrink_WhileReading_ChildEndsWithInvalidDataNamingTheFile(string kind, string change, bool leases) =>
        ShrinkWhileReading(kind, change, leases);

    [Theory]
    [Trait("Requires", "python")]
    [InlineData(true)]
    [InlineData(false)]
    public void Shrink_ByNpSaveWhileReading_ChildEndsWithInvalidDataNamingTheFile(bool leases) =>
        ShrinkWhileReading("loader2", "np-save", leases);

    private void ShrinkWhileReading(string kind, string change, bool leases)
    {
        (string path, long length) = WriteFile(kind);
        using var child = StartReader(kind, path, seconds: 60, leases);

        Thread.Sleep(Delay(kind, change));
        switch (change)
        {
            case "zero":
                SetLength(path, 0);
                break;
            case "mid-header":
                SetLength(path, 60);
                break;
            case "np-save":
                // What re-running a Python preprocessing script does: np.save truncates the path and writes a smaller array.
                NumPyScript.Run("import numpy as np, sys; np.save(sys.argv[1], np.zeros((3, 4), np.uint8))", path);
                break;
            default:
                // The reproduction: 64 bytes short of half the file.
                SetLength(path, length / 2 - 64);
                break;
        }

        int exit = child.WaitForExit(s_exitTimeout);
        Assert.True(exit == 0, $"the reader died (exit code {exit}); output: {child.Output} {child.Errors}");
        string result = child.WaitForLine("CAUGHT", TimeSpan.FromSeconds(1));
        Assert.StartsWith("CAUGHT System.IO.InvalidDataException: ", result, StringComparison.Ordinal);
        Assert.Contains(path, result, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, bool> DocumentShrinkCases()
    {
        var cases = new TheoryData<string, string, bool>();
        foreach (bool leases in new[] { true, false })
        {
            cases.Add("indexed", "my_corpus.bin", leases);
            cases.Add("indexed", "my_corpus.idx", leases);
            cases.Add("indexed-documents", "my_corpus.idx", leases);
            cases.Add("ragged", "values.npy", leases);
            cases.Add("ragged", "offsets.npy", leases);
            cases.Add("ragged-raw", "values.npy", leases);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(DocumentShrinkCases))]
    public void ShrinkDocumentFile_WhileReading_ChildEndsWithInvalidDataNamingTheFile(string kind, string file, bool leases)
    {
        string path = Path.Combine(_dir.FullName, file);
        WriteDocuments();
        long length = new FileInfo(path).Length;
        using var child = StartReader(kind, path, seconds: 60, leases);

        Thread.Sleep(Delay(kind, file));
        SetLength(path, length / 2 - 64);

        int exit = child.WaitForExit(s_exitTimeout);
        Assert.True(exit == 0, $"the reader died (exit code {exit}); output: {child.Output} {child.Errors}");
        string result = child.WaitForLine("CAUGHT", TimeSpan.FromSeconds(1));
        Assert.StartsWith("CAUGHT System.IO.InvalidDataException: ", result, StringComparison.Ordinal);
        Assert.Contains(path, result, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("loader2", true)]
    [InlineData("loader2", false)]
    [InlineData("gather2", true)]
    [InlineData("gather2", false)]
    [InlineData("fortran-readrows", true)]
    [InlineData("tokens", false)]
    public void ShrinkThenRegrow_WhileReading_ChildNeverDies(string kind, bool leases)
    {
        (string path, long length) = WriteFile(kind);
        using var child = StartReader(kind, path, seconds: 3, leases);

        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            for (int i = 0; i < 20; i++)
            {
                stream.SetLength(length / 3);
                stream.SetLength(length);
            }
        }

        int exit = child.WaitForExit(s_exitTimeout);
        Assert.True(exit == 0, $"the reader died (exit code {exit}); output: {child.Output} {child.Errors}");
        // A read that met the short file throws; one that came after the regrowth reads the (now zero) bytes, as NumPy would.
        string output = child.Output;
        Assert.True(output.Contains("COMPLETED ", StringComparison.Ordinal) || output.Contains($"CAUGHT System.IO.InvalidDataException: '{path}'", StringComparison.Ordinal), output);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CreateOverThePath_ByTheReadingProcess_ChildNeverDies(bool leases)
    {
        // NpyArray.Create over a file the same process has mapped: the reader sees the file change (or, if Create replaces
        // the file by rename, keeps reading the old one), and never faults.
        (string path, _) = WriteFile("loader2");
        using var child = StartReader("loader2-self-create", path, seconds: 3, leases);

        int exit = child.WaitForExit(s_exitTimeout);

        Assert.True(exit == 0, $"the reader died (exit code {exit}); output: {child.Output} {child.Errors}");
        string output = child.Output;
        Assert.True(output.Contains("COMPLETED ", StringComparison.Ordinal) || output.Contains($"CAUGHT System.IO.InvalidDataException: '{path}'", StringComparison.Ordinal), output);
    }

    [Theory]
    [InlineData("loader2", true)]
    [InlineData("loader2", false)]
    [InlineData("fortran-gather", true)]
    [InlineData("writerows", true)]
    public void ReplaceByRename_WhileReading_ChildKeepsReadingTheMappedFile(string kind, bool leases)
    {
        (string path, _) = WriteFile(kind);
        using var child = StartReader(kind, path, seconds: 3, leases);
        string other = Path.Combine(_dir.FullName, "other.npy");
        File.WriteAllBytes(other, [1, 2, 3]);

        File.Move(other, path, overwrite: true);

        int exit = child.WaitForExit(s_exitTimeout);
        Assert.True(exit == 0, $"the reader died (exit code {exit}); output: {child.Output} {child.Errors}");
        Assert.Contains("COMPLETED ", child.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("CAUGHT", child.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    // Waits of 0 to 350 ms after the first read, spread over the cases, so changes land at different points of a copy.
    private static int Delay(string kind, string change) => (int)((uint)(kind + change).Aggregate(17, (h, c) => h * 31 + c) % 8) * 50;

    private static ReliabilityChild StartReader(string kind, string path, double seconds, bool leases)
    {
        string reader = kind.StartsWith("fortran-", StringComparison.Ordinal) ? kind["fortran-".Length..] : kind;
        var child = new ReliabilityChild(["read-while-changed", reader, path, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), .. leases ? Array.Empty<string>() : ["--no-lease"]]);
        child.WaitForLine("READY", TimeSpan.FromSeconds(60));
        return child;
    }

    // The file a reader kind reads: a C-order uint8 image array, the same in Fortran order, or raw uint16 tokens.
    private (string Path, long Length) WriteFile(string kind)
    {
        var random = new Random(7);
        if (kind == "tokens")
        {
            string tokens = Path.Combine(_dir.FullName, "tokens.bin");
            byte[] bytes = new byte[16 << 20];
            random.NextBytes(bytes);
            File.WriteAllBytes(tokens, bytes);
            return (tokens, bytes.Length);
        }
        bool fortran = kind.StartsWith("fortran-", StringComparison.Ordinal);
        NpyHeader header = NpyHeader.Create(NpyDType.UInt8, s_shape, fortran);
        string path = Path.Combine(_dir.FullName, "x.npy");
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(header.ToArray());
            byte[] data = new byte[header.DataLength];
            random.NextBytes(data);
            stream.Write(data);
        }
        return (path, header.DataOffset + header.DataLength);
    }

    // The same 4,096 uint16 documents of 1 to 4,095 tokens (16 MB of tokens) as a Megatron indexed dataset (my_corpus.bin,
    // my_corpus.idx) and as a .npy ragged pair (values.npy, int64 offsets.npy).
    private void WriteDocuments()
    {
        var random = new Random(7);
        var offsets = new List<long> { 0 };
        var tokens = new List<long>();
        using (IndexedDatasetWriter writer = IndexedDatasetWriter.Create(Path.Combine(_dir.FullName, "my_corpus"), NpyDType.UInt16, IndexedDatasetConvention.Megatron))
        {
            for (int d = 0; d < 4096; d++)
            {
                long[] document = new long[random.Next(1, 4096)];
                for (int i = 0; i < document.Length; i++)
                    document[i] = random.Next(ushort.MaxValue + 1);
                writer.AddDocument(document);
                tokens.AddRange(document);
                offsets.Add(tokens.Count);
            }
            writer.Complete();
        }
        WriteNpy("values.npy", NpyDType.UInt16, tokens.Select(t => (ushort)t).ToArray());
        WriteNpy("offsets.npy", NpyDType.Int64, offsets.ToArray());
    }

    private void WriteNpy<T>(string name, NpyDType dtype, T[] values) where T : unmanaged
    {
        NpyHeader header = NpyHeader.Create(dtype, [values.Length], fortranOrder: false);
        using var stream = new FileStream(Path.Combine(_dir.FullName, name), FileMode.CreateNew, FileAccess.Write);
        stream.Write(header.ToArray());
        stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    // Opened for writing as np.save and most tools do (a blocking open, which waits for a lease to be given up).
    private static void SetLength(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(length);
    }
}
