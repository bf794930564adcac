using System.Diagnostics;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchMmap.Tests.TestUtilities;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>
/// The two ways a copy leaves a mapping: plain loads while a file lease holds (the default), and copies the kernel makes
/// (<c>process_vm_readv</c>, or <c>pread</c> where that is refused) when no lease can be had or after it was broken.
/// Every read and write must give the same bytes either way, and a page lost to truncation must be an exception.
/// </summary>
[Collection(FileLeaseCollection.Name)]
public sealed unsafe class NpyArrayCopyPathsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("torchmmap-copy-");

    [Theory]
    [InlineData("|u1", false)]
    [InlineData("<f4", false)]
    [InlineData(">f4", false)]
    [InlineData("<u2", false)]
    [InlineData(">u4", false)]
    [InlineData("|b1", false)]
    [InlineData(">i8", false)]
    [InlineData("<c8", false)]
    [InlineData("|u1", true)]
    [InlineData("<f4", true)]
    [InlineData("<u2", true)]
    [InlineData("|b1", true)]
    [InlineData(">c16", true)]
    public void Reads_WithoutLease_GiveTheBytesOfPlainReads(string descr, bool fortran)
    {
        string path = WriteRandom(descr, fortran, [300, 5, 7]);
        using NpyArray leased = NpyArray.Open(path);
        using NpyArray kernel = OpenWithoutLease(() => NpyArray.Open(path));
        Assert.True(leased.HasFileLease);
        Assert.False(kernel.HasFileLease);
        long[] indices = [5, 6, 7, 8, 299, 0, 0, 150, 151, 3, 298, 299];
        long[] shuffled = Enumerable.Range(0, 300).Select(i => (long)(i * 7919 % 300)).ToArray();

        AssertSame(leased.ReadRows(3, 200), kernel.ReadRows(3, 200), "ReadRows");
        AssertSame(leased.Gather(indices), kernel.Gather(indices), "Gather");
        AssertSame(leased.Gather(shuffled, threads: 2), kernel.Gather(shuffled, threads: 2), "Gather on 2 threads");
        AssertSame(leased.ToTensor(), kernel.ToTensor(), "ToTensor");
    }

    [Theory]
    [InlineData("<f4", false)]
    [InlineData(">u2", false)]
    [InlineData("<i4", true)]
    [InlineData(">f8", true)]
    public void WriteRows_WithoutLease_WritesTheBytesOfPlainWrites(string descr, bool fortran)
    {
        string a = WriteRandom(descr, fortran, [64, 3, 4]);
        string b = Path.Combine(_dir.FullName, "b.npy");
        File.Copy(a, b);
        Tensor rows;
        using (NpyArray source = NpyArray.Open(a))
            rows = source.ReadRows(40, 10);
        using (rows)
        {
            // A write lease needs the file open nowhere else.
            using (NpyArray leased = NpyArray.Open(a, NpyMode.ReadWrite))
            {
                Assert.True(leased.HasFileLease);
                leased.WriteRows(3, rows);
            }
            using NpyArray kernel = OpenWithoutLease(() => NpyArray.Open(b, NpyMode.ReadWrite));
            Assert.False(kernel.HasFileLease);
            kernel.WriteRows(3, rows);
        }

        TensorBytes.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b), "the written files");
    }

    [Fact]
    public void Tokens_WithoutLease_GiveThePlainTokens()
    {
        string path = Path.Combine(_dir.FullName, "tokens.bin");
        byte[] bytes = new byte[3 << 20];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        using TokenStream leased = TokenStream.OpenNanoGpt(path);
        using TokenStream kernel = OpenWithoutLease(() => TokenStream.OpenNanoGpt(path));

        Assert.Equal(leased.Read(12345, 1_000_000), kernel.Read(12345, 1_000_000));
    }

    [Fact]
    public void Reads_WithoutLeaseOrVmCalls_UseTheFileAndGiveTheSameBytes()
    {
        string path = WriteRandom(">f4", fortran: false, [100, 6]);
        using NpyArray leased = NpyArray.Open(path);
        using NpyArray kernel = OpenWithoutLease(() => NpyArray.Open(path));
        bool before = MappingCopy.VmCallsRefused;
        MappingCopy.VmCallsRefused = true;
        try
        {
            AssertSame(leased.Gather([9, 10, 11, 50, 2]), kernel.Gather([9, 10, 11, 50, 2]), "Gather through pread");
            AssertSame(leased.ToTensor(), kernel.ToTensor(), "ToTensor through pread");
        }
        finally
        {
            MappingCopy.VmCallsRefused = before;
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void KernelCopy_PageGoneAfterTheCheck_ThrowsInvalidDataNamingTheFile(bool write, bool throughFile)
    {
        // The window a check cannot close: the file is cut after the length check passed (required length 0 here).
        string path = Path.Combine(_dir.FullName, "cut.bin");
        File.WriteAllBytes(path, new byte[5 * 4096]);
        FileLease.Enabled = false;
        bool before = MappingCopy.VmCallsRefused;
        MappingCopy.VmCallsRefused = throughFile;
        try
        {
            using MappedFile file = MappedFile.Map(path, new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite), NpyMode.ReadWrite, 0);
            using MappedFile.Lease lease = file.AcquireForAccess();
            Assert.False(lease.IsPlain);
            using (var cut = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                cut.SetLength(4096);
            byte* buffer = stackalloc byte[256];

            var ex = Assert.Throws<InvalidDataException>(() =>
            {
                if (write)
                    lease.Write(3 * 4096, buffer, 256);
                else
                    lease.Read(3 * 4096, buffer, 256);
            });

            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            lease.Read(100, buffer, 256);
        }
        finally
        {
            FileLease.Enabled = true;
            MappingCopy.VmCallsRefused = before;
        }
    }

    [Fact]
    public void Lease_FileOpenedForWritingElsewhere_IsGivenUpAtOnceAndReadsGoOn()
    {
        string path = WriteRandom("<f4", fortran: false, [100, 6]);
        using NpyArray array = NpyArray.Open(path);
        using Tensor before = array.ToTensor();
        Assert.True(array.HasFileLease);

        // The open blocks until the lease is given up; a process that never answered would hold it for lease-break-time (45 s).
        var clock = Stopwatch.StartNew();
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"opening for writing waited {clock.Elapsed}");
            Assert.False(array.HasFileLease);
            AssertSame(before, array.ToTensor(), "reads after the lease was given up");
            writer.SetLength(200);
        }

        var ex = Assert.Throws<InvalidDataException>(() => array.Gather([99]));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WhileAWriterHasTheFileOpen_TakesNoLeaseAndReads()
    {
        string path = WriteRandom("<i8", fortran: false, [10, 2]);
        using var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);

        using NpyArray array = NpyArray.Open(path);

        Assert.False(array.HasFileLease);
        using Tensor rows = array.ReadRows(0, 10);
        TensorBytes.Equal(File.ReadAllBytes(path)[(int)array.DataStart..], TensorBytes.Of(rows), "rows read without a lease");
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private static T OpenWithoutLease<T>(Func<T> open)
    {
        FileLease.Enabled = false;
        try
        {
            return open();
        }
        finally
        {
            FileLease.Enabled = true;
        }
    }

    private static void AssertSame(Tensor expected, Tensor actual, string what)
    {
        using (expected)
        using (actual)
        {
            Assert.Equal(expected.shape, actual.shape);
            Assert.Equal(expected.dtype, actual.dtype);
            TensorBytes.Equal(TensorBytes.Of(expected), TensorBytes.Of(actual), what);
        }
    }

    // A .npy file of random bytes (bools included: NumPy reads any non-zero byte as True, and loads must normalise it).
    private string WriteRandom(string descr, bool fortran, long[] shape)
    {
        NpyHeader header = NpyHeader.Create(NpyDType.Parse(descr), shape, fortran);
        byte[] data = new byte[header.DataLength];
        new Random(descr.Length * 31 + (fortran ? 1 : 0)).NextBytes(data);
        string path = Path.Combine(_dir.FullName, $"{Guid.NewGuid():N}.npy");
        File.WriteAllBytes(path, [.. header.ToArray(), .. data]);
        return path;
    }
}
