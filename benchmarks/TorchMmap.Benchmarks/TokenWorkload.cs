using TorchMmap.Format;

namespace TorchMmap.Benchmarks;

/// <summary>The token benchmark's data: a nanoGPT <c>train.bin</c> (raw little-endian uint16) of random GPT-2 token ids, and
/// the batch shape of nanoGPT's GPT-2 configuration (batch_size 12, block_size 1024).</summary>
internal sealed record TokenWorkload(long Tokens, int BatchSize, int BlockSize, long Seed)
{
    public string PathIn(string dir) => Path.Combine(dir, $"tokens-{Tokens}.bin");

    /// <summary>Bytes one batch hands to the training loop: x and y, (B, T) int64 each.</summary>
    public long BatchBytes => 2L * BatchSize * BlockSize * sizeof(long);

    /// <summary>Writes the file with the library's nanoGPT writer, unless it is already there.</summary>
    public void EnsureWritten(string dir)
    {
        Directory.CreateDirectory(dir);
        string path = PathIn(dir);
        if (File.Exists(path) && new FileInfo(path).Length == Tokens * 2)
            return;
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} writing {Tokens:N0} tokens ({Tokens * 2 >> 20} MiB) to {path}");
        using TokenWriter writer = TokenWriter.CreateNanoGpt(path);
        long[] chunk = new long[1 << 20];
        ulong state = 0x9E3779B97F4A7C15UL;
        for (long done = 0; done < Tokens; done += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, Tokens - done);
            for (int i = 0; i < n; i++)
            {
                // xorshift64: cheap, deterministic token ids in GPT-2's range.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                chunk[i] = (long)(state % 50257);
            }
            writer.Write(chunk.AsSpan(0, n));
        }
        writer.Complete();
    }
}
