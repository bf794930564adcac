using System.Buffers.Binary;
using System.Globalization;
using TorchMmap.Cli;
using TorchMmap.Tests.TestUtilities;

namespace TorchMmap.Tests.Cli;

/// <summary>
/// <c>npy info</c> and <c>npy verify</c> on archives whose entries a zip reader cannot find (no central directory, a directory
/// offset or entry count that lies, a zip64 marker without its records), built byte by byte from the zip specification
/// (APPNOTE 4.3): the tool ends with a message naming the file and exit code 1, never an unhandled exception. Also a FIFO given to every command: refused at once (exit code 3), never a hang.
/// </summary>
public sealed class NpyToolBrokenArchivesTests : IDisposable
{
    private const uint LocalHeaderSignature = 0x04034B50;
    private const uint CentralHeaderSignature = 0x02014B50;
    private const uint EndRecordSignature = 0x06054B50;

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-cli-archives-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string command in new[] { "info", "verify" })
        {
            foreach (string damage in new[] { "no-directory", "directory-offset-past-end", "directory-signature-zeroed", "zip64-without-records", "end-record-cut" })
                cases.Add(command, damage);
        }
        return cases;
    }

    [Theory]
    [Trait("Requires", "python")]
    [InlineData("info")]
    [InlineData("verify")]
    public void Command_EndRecordCountsMoreEntriesThanTheDirectoryHolds_RefusedNamingTheFile(string command)
    {
        // Python's zipfile (what np.load uses) walks the central directory by its size and ignores the end record's count, so
        // NumPy reads the one array; TorchMmap refuses the contradiction (a documented strictness), by name, with exit code 1.
        string path = Path.Combine(_dir, "count-lies.npz");
        File.WriteAllBytes(path, Archive("entry-count-lies"));
        Assert.Equal("['x']", NumPyScript.Run("import numpy as np, sys; print(np.load(sys.argv[1]).files)", path).Trim());

        (int code, string output, string error) = Run(command, path);

        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.Contains($"'{path}' is not an .npz (zip) archive: 2 entries cannot fit in a central directory of 51 bytes", output + error, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Requires", "python")]
    [MemberData(nameof(Cases))]
    public void Command_ArchiveWhoseEntriesCannotBeFound_ExitsOneNamingTheFile(string command, string damage)
    {
        string path = Path.Combine(_dir, damage + ".npz");
        File.WriteAllBytes(path, Archive(damage));
        // The expectation comes from NumPy: np.load refuses every one of these archives.
        string numpy = NumPyScript.Run("""
            import numpy as np, sys
            try:
                z = np.load(sys.argv[1]); [z[k] for k in z.files]; print("read")
            except Exception as e:
                print("refused", type(e).__name__)
            """, path);
        Assert.StartsWith("refused", numpy, StringComparison.Ordinal);

        (int code, string output, string error) = Run(command, path);

        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.Contains(path, output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requires", "python")]
    public void Info_IntactHandBuiltArchive_DescribesTheEntry()
    {
        // The builder's own check: undamaged, the same bytes read as the one array they hold, in NumPy and in the tool.
        string path = Path.Combine(_dir, "intact.npz");
        File.WriteAllBytes(path, Archive("intact"));
        Assert.Equal("[1, 2, 3]", NumPyScript.Run("import numpy as np, sys; print(np.load(sys.argv[1])['x'].tolist())", path).Trim());

        (int code, string output, _) = Run("info", path);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("(1 arrays)", output, StringComparison.Ordinal);
        Assert.Contains("(3,)", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("info")]
    [InlineData("head")]
    [InlineData("stats")]
    [InlineData("verify")]
    public void Command_FifoWithoutWriter_RefusedPromptlyNamingIt(string command)
    {
        string fifo = Path.Combine(_dir, "pipe.npy");
        Assert.Equal(0, Shell.Run("mkfifo", fifo).ExitCode);

        Task<(int Code, string Out, string Err)> run = Task.Run(() => Run(command, fifo));
        bool finished = run.Wait(TimeSpan.FromSeconds(20));
        if (!finished)
        {
            // Release the hung reader before failing.
            using (new FileStream(fifo, FileMode.Open, FileAccess.Write))
            {
            }
        }

        Assert.True(finished, $"npy {command} on a FIFO with no writer did not return within 20 s");
        Assert.Equal(ExitCodes.IOError, run.Result.Code);
        Assert.Contains($"'{fifo}' is a FIFO", run.Result.Err, StringComparison.Ordinal);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter(CultureInfo.InvariantCulture);
        var stderr = new StringWriter(CultureInfo.InvariantCulture);
        int code = NpyTool.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    // One stored entry "x.npy" (int32 [1, 2, 3]): local header, data, central directory, end record; then the damage.
    private static byte[] Archive(string damage)
    {
        byte[] name = "x.npy"u8.ToArray();
        byte[] data = NpyBytes.File(NpyBytes.Dict("<i4", "(3,)"), [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
        uint crc = Crc32(data);
        var bytes = new List<byte>();

        // Local file header (APPNOTE 4.3.7): version 2.0, no flags, stored, no time, sizes, name, no extra field.
        Put32(bytes, LocalHeaderSignature);
        Put16(bytes, 20, 0, 0, 0, 0);
        Put32(bytes, crc, (uint)data.Length, (uint)data.Length);
        Put16(bytes, (ushort)name.Length, 0);
        bytes.AddRange(name);
        bytes.AddRange(data);
        if (damage == "no-directory")
            return [.. bytes];   // what a writer killed before it wrote the directory leaves

        // Central directory header (4.3.12), pointing at the local header at offset 0.
        int directoryAt = bytes.Count;
        Put32(bytes, CentralHeaderSignature);
        Put16(bytes, 20, 20, 0, 0, 0, 0);
        Put32(bytes, crc, (uint)data.Length, (uint)data.Length);
        Put16(bytes, (ushort)name.Length, 0, 0, 0, 0);
        Put32(bytes, 0, 0);
        bytes.AddRange(name);
        int directorySize = bytes.Count - directoryAt;
        if (damage == "directory-signature-zeroed")
            bytes[directoryAt] = bytes[directoryAt + 1] = bytes[directoryAt + 2] = bytes[directoryAt + 3] = 0;

        // End of central directory record (4.3.16).
        ushort entries = damage switch
        {
            "entry-count-lies" => 2,
            "zip64-without-records" => 0xFFFF,
            _ => 1,
        };
        uint offset = damage switch
        {
            "directory-offset-past-end" => (uint)(directoryAt + 4096),
            "zip64-without-records" => 0xFFFFFFFF,
            _ => (uint)directoryAt,
        };
        Put32(bytes, EndRecordSignature);
        Put16(bytes, 0, 0, entries, entries);
        Put32(bytes, (uint)directorySize, offset);
        Put16(bytes, 0);
        if (damage == "end-record-cut")
            bytes.RemoveRange(bytes.Count - 10, 10);
        return [.. bytes];
    }

    private static void Put16(List<byte> bytes, params ushort[] values)
    {
        Span<byte> b = stackalloc byte[2];
        foreach (ushort v in values)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            bytes.AddRange(b.ToArray());
        }
    }

    private static void Put32(List<byte> bytes, params uint[] values)
    {
        Span<byte> b = stackalloc byte[4];
        foreach (uint v in values)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            bytes.AddRange(b.ToArray());
        }
    }

    // CRC-32 as zip defines it (reflected polynomial 0xEDB88320), bit by bit.
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
