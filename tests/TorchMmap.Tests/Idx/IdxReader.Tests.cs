using System.Buffers.Binary;
using TorchMmap.Idx;

namespace TorchMmap.Tests.Idx;

public sealed class IdxReaderTests : IDisposable
{
    private readonly IdxFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Open_UInt8Images_ReadsHeaderAndEveryRow(bool gzip)
    {
        byte[] data = Enumerable.Range(0, 3 * 2 * 4).Select(i => (byte)(i * 7)).ToArray();
        string path = _files.Write("images.idx", IdxFiles.UInt8(data, 3, 2, 4), gzip);

        using IdxReader reader = IdxReader.Open(path);
        Assert.Equal(gzip, reader.IsCompressed);
        Assert.Equal(IdxElementType.UInt8, reader.Header.ElementType);
        Assert.Equal(new long[] { 3, 2, 4 }, reader.Header.Shape);
        Assert.Equal(3, reader.RowCount);
        Assert.Equal(8, reader.RowBytes);
        // A buffer of two rows: the reader hands out 2 rows, then 1, then reports the end.
        byte[] buffer = new byte[17];
        var read = new List<byte>();
        int rows;
        var counts = new List<int>();
        while ((rows = reader.ReadRows(buffer)) > 0)
        {
            counts.Add(rows);
            read.AddRange(buffer.Take(rows * 8));
        }
        Assert.Equal([2, 1], counts);
        Assert.Equal(data, read);
    }

    [Fact]
    public void ReadRows_BigEndianInt32_ReturnsNativeValues()
    {
        int[] values = [0x01020304, -5, int.MaxValue, int.MinValue, 0, 42];
        byte[] data = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4 * i), values[i]);
        string path = _files.Write("ints.idx", [.. IdxFiles.Header(0x0C, 2, 3), .. data]);

        using IdxReader reader = IdxReader.Open(path);
        byte[] buffer = new byte[24];
        Assert.Equal(2, reader.ReadRows(buffer));
        Assert.Equal(values, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(buffer).ToArray());
        Assert.Equal(0, reader.ReadRows(buffer));
    }

    [Fact]
    public void ReadRows_BigEndianFloatsAndShorts_ReturnNativeValues()
    {
        float[] floats = [1.5f, -2.25f, float.Epsilon];
        byte[] f = new byte[12];
        for (int i = 0; i < 3; i++)
            BinaryPrimitives.WriteSingleBigEndian(f.AsSpan(4 * i), floats[i]);
        short[] shorts = [-300, 1, 0x1234];
        byte[] s = new byte[6];
        for (int i = 0; i < 3; i++)
            BinaryPrimitives.WriteInt16BigEndian(s.AsSpan(2 * i), shorts[i]);
        string fp = _files.Write("f.idx", [.. IdxFiles.Header(0x0D, 3), .. f], gzip: true);
        string sp = _files.Write("s.idx", [.. IdxFiles.Header(0x0B, 3), .. s]);

        using (IdxReader reader = IdxReader.Open(fp))
        {
            byte[] buffer = new byte[12];
            Assert.Equal(3, reader.ReadRows(buffer));
            Assert.Equal(floats, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(buffer).ToArray());
        }
        using (IdxReader reader = IdxReader.Open(sp))
        {
            byte[] buffer = new byte[6];
            Assert.Equal(3, reader.ReadRows(buffer));
            Assert.Equal(shorts, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(buffer).ToArray());
        }
    }

    public static TheoryData<string, byte[], bool, string> BadFiles => new()
    {
        { "empty", [], false, "offset 0" },
        { "bad magic", [0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7], false, "not an IDX file" },
        { "unknown type code", [0x00, 0x00, 0x0A, 0x01, 0, 0, 0, 1, 7], false, "0x0A" },
        { "no dimensions", [0x00, 0x00, 0x08, 0x00], false, "no dimensions" },
        { "negative dimension", [.. IdxFiles.Header(0x08, -1)], false, "negative" },
        { "shape too large", [.. IdxFiles.Header(0x0E, int.MaxValue, int.MaxValue, int.MaxValue)], false, "64-bit" },
        { "header cut short", [0x00, 0x00, 0x08, 0x03, 0, 0, 0, 2, 0, 0], false, "inside the IDX header" },
        { "data cut short", IdxFiles.UInt8([1, 2, 3], 2, 2), false, "needs 16" },
        { "bytes after the data", IdxFiles.UInt8([1, 2, 3, 4, 5], 2, 2), false, "after the data" },
        { "gzip: data cut short", IdxFiles.UInt8([1, 2, 3], 2, 2), true, "ends at data byte 3" },
        { "gzip: bytes after the data", IdxFiles.UInt8([1, 2, 3, 4, 5], 2, 2), true, "bytes after" },
        { "gzip: not an IDX inside", [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'], true, "not an IDX file" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void OpenAndRead_MalformedFile_ThrowsInvalidDataNamingTheFile(string name, byte[] bytes, bool gzip, string reason)
    {
        string path = _files.Write(name.Replace(':', '_').Replace(' ', '_') + ".idx", bytes, gzip);

        var e = Assert.Throws<InvalidDataException>(() =>
        {
            using IdxReader reader = IdxReader.Open(path);
            byte[] buffer = new byte[1024];
            while (reader.ReadRows(buffer) > 0)
            {
            }
        });
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_CorruptGzip_ThrowsInvalidDataNamingTheFile()
    {
        byte[] valid = File.ReadAllBytes(_files.Write("ok.gz", IdxFiles.UInt8(new byte[4000], 1000, 4), gzip: true));
        // Keep the gzip magic, garble the deflate stream.
        for (int i = 12; i < valid.Length - 8; i++)
            valid[i] ^= 0x5A;
        string path = _files.Write("corrupt.gz", valid);

        var e = Assert.Throws<InvalidDataException>(() =>
        {
            using IdxReader reader = IdxReader.Open(path);
            byte[] buffer = new byte[4000];
            while (reader.ReadRows(buffer) > 0)
            {
            }
        });
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRows_BufferSmallerThanRow_ThrowsArgument()
    {
        string path = _files.Write("a.idx", IdxFiles.UInt8(new byte[8], 2, 4));
        using IdxReader reader = IdxReader.Open(path);
        Assert.Throws<ArgumentException>(() => reader.ReadRows(new byte[3]));
    }

    [Fact]
    public void ReadRows_AfterDispose_ThrowsObjectDisposed()
    {
        string path = _files.Write("a.idx", IdxFiles.UInt8(new byte[8], 2, 4));
        IdxReader reader = IdxReader.Open(path);
        reader.Dispose();
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.ReadRows(new byte[8]));
    }
}
