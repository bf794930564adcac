using TorchMmap.Format;
using TorchMmap.Storage;
using TorchMmap.Tests.TestUtilities;

namespace TorchMmap.Tests.Hardening;

/// <summary>
/// Reads that would allocate without bound: a whole-array load larger than the machine, a Fortran-order row read of a huge
/// row, and a mapping the address-space limit forbids. Each must end in an exception naming the file, before allocating.
/// </summary>
public sealed class RunawayReadsTests : IDisposable
{
    private const long HundredGB = 100_000_000_000;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("torchmmap-runaway-");

    [Theory]
    [InlineData("Npy.Load")]
    [InlineData("ToTensor")]
    [InlineData("ReadRows")]
    public void Load_SparseHundredGigabyteFile_RefusedBeforeAllocatingNamingFileAndSize(string how)
    {
        // A valid .npy file of 100 GB whose data is a hole: nothing is on disk, and nothing may be allocated either.
        string path = WriteSparse(NpyDType.Float32, [HundredGB / 4 / 1000, 1000]);
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Assert.True(limit is > 0 and < HundredGB, $"the machine's memory limit is {limit} bytes");

        var ex = Assert.Throws<InsufficientMemoryException>(() =>
        {
            if (how == "Npy.Load")
            {
                Npy.Load(path).Dispose();
                return;
            }
            using NpyArray array = NpyArray.Open(path);
            (how == "ToTensor" ? array.ToTensor() : array.ReadRows(0, array.Length)).Dispose();
        });

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("100,000,000,000 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains(limit.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRows_FortranOrderHugeRow_AllocatesNoPerElementTable()
    {
        // Two rows of 64 Mi uint8 elements in Fortran order: a table of element offsets would be 512 MiB of managed memory.
        const long rowElements = 64L << 20;
        string path = WriteSparse(NpyDType.UInt8, [2, 8, rowElements / 8], fortran: true);
        using (NpyArray small = NpyArray.Open(WriteSparse(NpyDType.UInt8, [2, 8, 8], fortran: true)))
        using (TorchSharp.torch.Tensor warm = small.ReadRows(0, 1)) { }
        using NpyArray array = NpyArray.Open(path);

        long before = GC.GetAllocatedBytesForCurrentThread();
        using TorchSharp.torch.Tensor row = array.ReadRows(1, 1);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(new long[] { 1, 8, rowElements / 8 }, row.shape);
        Assert.True(allocated < 1 << 20, $"reading one Fortran-order row allocated {allocated:N0} managed bytes");
    }

    [Fact]
    public void Open_MappingRefusedByAddressSpaceLimit_ThrowsIOExceptionNamingTheFile()
    {
        // 8 GiB of (sparse) data, then RLIMIT_AS set just above what the child already uses: mmap fails with ENOMEM.
        string path = WriteSparse(NpyDType.UInt8, [8L << 30]);
        using var child = new ReliabilityChild("map-under-limit", path);
        long vmSize = long.Parse(child.WaitForLine("VMSIZE ", TimeSpan.FromSeconds(60))["VMSIZE ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        long limit = vmSize + (1L << 30);
        using (var prlimit = System.Diagnostics.Process.Start("prlimit", ["--pid", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), $"--as={limit}:{limit}"])!)
        {
            Assert.True(prlimit.WaitForExit(30_000));
            Assert.Equal(0, prlimit.ExitCode);
        }

        child.WriteLine("go");

        Assert.Equal(0, child.WaitForExit(TimeSpan.FromSeconds(60)));
        string result = child.WaitForLine("CAUGHT", TimeSpan.FromSeconds(1));
        Assert.StartsWith("CAUGHT System.IO.IOException: ", result, StringComparison.Ordinal);
        Assert.Contains($"'{path}' ({(8L << 30) + 128} bytes) cannot be memory-mapped", result, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private string WriteSparse(NpyDType dtype, long[] shape, bool fortran = false)
    {
        NpyHeader header = NpyHeader.Create(dtype, shape, fortran);
        string path = Path.Combine(_dir.FullName, $"{Guid.NewGuid():N}.npy");
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        stream.Write(header.ToArray());
        stream.SetLength(header.DataOffset + header.DataLength);
        return path;
    }
}
