using TorchMmap.Format;

namespace TorchMmap.Reliability;

/// <summary>
/// The hidden <c>write-forever</c> command: streams rows into an <see cref="NpyWriter"/> and never completes it, so a test
/// can kill the process mid-write and check what is left at the final path.
/// </summary>
public static class WriteForever
{
    /// <summary>Floats per row.</summary>
    public const int RowLength = 256;

    /// <summary>Appends rows of <see cref="RowLength"/> float32 values until killed, printing the temporary file's path once the
    /// first megabytes are written.</summary>
    /// <param name="path">The final path of the .npy file.</param>
    /// <returns>Never returns normally.</returns>
    public static int Run(string path)
    {
        using var writer = NpyWriter.Create(path, NpyDType.Float32, [RowLength]);
        float[] chunk = new float[RowLength * 1024];
        bool announced = false;
        for (long n = 0; ; n++)
        {
            chunk.AsSpan().Fill(n);
            writer.Append<float>(chunk);
            if (!announced && writer.RowCount >= 4096)
            {
                Console.Out.WriteLine(writer.TempPath);
                Console.Out.Flush();
                announced = true;
            }
        }
    }

    /// <summary>Streams uint16 tokens into a <see cref="TokenWriter"/> of <paramref name="format"/> until killed, printing the
    /// temporary file's path once the first megabytes are written.</summary>
    /// <param name="format">The token file format.</param>
    /// <param name="path">The final path.</param>
    /// <returns>Never returns normally.</returns>
    public static int RunTokens(TokenFileFormat format, string path)
    {
        using var writer = TokenWriter.Create(path, format, NpyDType.Parse("<u2"));
        long[] chunk = new long[1 << 16];
        bool announced = false;
        for (long n = 0; ; n++)
        {
            chunk.AsSpan().Fill(n % 50257);
            writer.Write(chunk);
            if (!announced && writer.Count >= 1 << 20)
            {
                Console.Out.WriteLine(writer.TempPath);
                Console.Out.Flush();
                announced = true;
            }
        }
    }
}
