using TorchMmap.Storage;
using TorchMmap.Text;

namespace TorchMmap.Cli.Commands;

/// <summary>The smallest and largest token of a stream and how many <c>&lt;|endoftext|&gt;</c> it holds, read in chunks without tensors.</summary>
internal sealed record TokenSummary(long Min, long Max, long EndOfTextCount)
{
    private const int Chunk = 1 << 20;

    public static TokenSummary Of(TokenStream stream)
    {
        long min = long.MaxValue, max = long.MinValue, eot = 0;
        long[] buffer = new long[Chunk];
        for (long start = 0; start < stream.Count; start += Chunk)
        {
            Span<long> part = buffer.AsSpan(0, (int)Math.Min(Chunk, stream.Count - start));
            stream.CopyTo(start, part);
            foreach (long t in part)
            {
                if (t < min)
                    min = t;
                if (t > max)
                    max = t;
                if (t == Gpt2Tokenizer.EndOfText)
                    eot++;
            }
        }
        return new TokenSummary(min, max, eot);
    }
}
