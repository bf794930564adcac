using TorchMmap.Internal;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>Writes one document per row, its first L tokens then padding: the rule shared by the padded and token-budget layouts.</summary>
internal static unsafe class PaddedRows
{
    /// <summary>The names, per-row shapes and types of a padded batch of width <paramref name="width"/>.</summary>
    public static (string Name, long[] SampleShape, ScalarType Type)[] Layout(long width) =>
    [
        (DocumentBatchNames.Input, [width], ScalarType.Int64),
        (DocumentBatchNames.Target, [width], ScalarType.Int64),
        (DocumentBatchNames.Lengths, [], ScalarType.Int64),
        (DocumentBatchNames.AttentionMask, [width], ScalarType.Bool),
        (DocumentBatchNames.LossMask, [width], ScalarType.Float32),
        (DocumentBatchNames.Documents, [], ScalarType.Int64),
    ];

    /// <summary>The padded width of a batch: the longest of its documents, each cut to <paramref name="maxLength"/>.</summary>
    public static int LongestIn(RaggedArray documents, ReadOnlySpan<long> rows, int maxLength)
    {
        using RaggedArray.Reader reader = documents.OpenReader();
        long longest = 0;
        foreach (long row in rows)
            longest = Math.Max(longest, Math.Min(maxLength, reader.LengthOf(row)));
        return (int)longest;
    }

    /// <summary>Fills rows [0, rows.Length) of the tensors of <see cref="Layout"/> with width <paramref name="width"/>.</summary>
    public static void Write(RaggedArray documents, ReadOnlySpan<long> rows, int width, long padToken, long ignoreIndex, IReadOnlyDictionary<string, Tensor> destination)
    {
        if (rows.Length == 0)
            return;
        long* x = (long*)TensorMemory.DataPointer(destination[DocumentBatchNames.Input], nameof(destination));
        long* y = (long*)TensorMemory.DataPointer(destination[DocumentBatchNames.Target], nameof(destination));
        long* lengths = (long*)TensorMemory.DataPointer(destination[DocumentBatchNames.Lengths], nameof(destination));
        bool* attention = (bool*)TensorMemory.DataPointer(destination[DocumentBatchNames.AttentionMask], nameof(destination));
        float* loss = (float*)TensorMemory.DataPointer(destination[DocumentBatchNames.LossMask], nameof(destination));
        long* docs = (long*)TensorMemory.DataPointer(destination[DocumentBatchNames.Documents], nameof(destination));
        using RaggedArray.Reader reader = documents.OpenReader();
        for (int r = 0; r < rows.Length; r++)
        {
            long n = reader.LengthOf(rows[r]);
            int l = (int)Math.Min(n, width);
            long offset = (long)r * width;
            long* xr = x + offset, yr = y + offset;
            if (l > 0)
                reader.Copy(rows[r], 0, l, xr);
            if (l > 1)
                Buffer.MemoryCopy(xr + 1, yr, (l - 1) * 8L, (l - 1) * 8L);
            // The last input's target is the document's next token when the row cut it short.
            if (l > 0)
            {
                if (n > l)
                    reader.Copy(rows[r], l, 1, yr + l - 1);
                else
                    yr[l - 1] = ignoreIndex;
            }
            int trained = (int)Math.Min(l, n - 1);
            for (int j = 0; j < width; j++)
            {
                if (j >= l)
                {
                    xr[j] = padToken;
                    yr[j] = ignoreIndex;
                }
                attention[offset + j] = j < l;
                loss[offset + j] = j < trained ? 1f : 0f;
            }
            lengths[r] = l;
            docs[r] = rows[r];
        }
    }
}
