using System.Buffers.Binary;
using System.IO.Compression;

namespace TorchMmap.Tests.Idx;

/// <summary>Builds IDX files byte by byte, as the format describes them: 00 00, type code, rank, big-endian dims, data.</summary>
internal sealed class IdxFiles : IDisposable
{
    public IdxFiles() => Dir = Directory.CreateTempSubdirectory("torchmmap-idx-").FullName;

    public string Dir { get; }

    public string PathOf(string name) => Path.Combine(Dir, name);

    /// <summary>The bytes of a header for <paramref name="typeCode"/> and <paramref name="dims"/>.</summary>
    public static byte[] Header(byte typeCode, params int[] dims)
    {
        byte[] header = new byte[4 + 4 * dims.Length];
        header[2] = typeCode;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return header;
    }

    /// <summary>A whole unsigned-byte IDX file: header then the data as given.</summary>
    public static byte[] UInt8(byte[] data, params int[] dims) => [.. Header(0x08, dims), .. data];

    /// <summary>Writes bytes to a file, gzip-compressing them when asked.</summary>
    public string Write(string name, byte[] bytes, bool gzip = false)
    {
        string path = PathOf(name);
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }
        using (var file = File.Create(path))
        using (var zip = new GZipStream(file, CompressionLevel.Fastest))
            zip.Write(bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
