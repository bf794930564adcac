using TorchMmap.Internal;
using TorchMmap.Storage;

namespace TorchMmap.Data;

/// <summary>Reads every document length once, for plans that lay documents out ahead of time.</summary>
internal static class DocumentLengths
{
    /// <summary>The lengths of all rows.</summary>
    public static int[] All(RaggedArray documents, int cap)
    {
        if (documents.Count > Array.MaxLength)
            throw new NotSupportedException(Messages.Format(Messages.DocumentsTooManyToPack, documents.IndexPath, documents.Count, Array.MaxLength));
        int[] lengths = new int[documents.Count];
        using RaggedArray.Reader reader = documents.OpenReader();
        for (int i = 0; i < lengths.Length; i++)
            lengths[i] = (int)Math.Min(cap, reader.LengthOf(i));
        return lengths;
    }

    /// <summary>Running totals of the row lengths: element i is the number of tokens in rows 0..i.</summary>
    public static long[] PrefixSums(RaggedArray documents)
    {
        if (documents.Count > Array.MaxLength)
            throw new NotSupportedException(Messages.Format(Messages.DocumentsTooManyToPack, documents.IndexPath, documents.Count, Array.MaxLength));
        long[] ends = new long[documents.Count];
        using RaggedArray.Reader reader = documents.OpenReader();
        long total = 0;
        for (int i = 0; i < ends.Length; i++)
        {
            total += reader.LengthOf(i);
            ends[i] = total;
        }
        return ends;
    }

    /// <summary>
    /// The pieces of documents that tokens [<paramref name="start"/>, <paramref name="end"/>) of the concatenated documents
    /// cover, in order.
    /// </summary>
    /// <param name="ends">The running totals of the document lengths (<see cref="PrefixSums"/>).</param>
    /// <param name="start">The first token.</param>
    /// <param name="end">One past the last token; at most the total.</param>
    /// <param name="destination">Receives the segments.</param>
    /// <returns>The number of segments written.</returns>
    public static int Segments(long[] ends, long start, long end, Span<DocumentSegment> destination)
    {
        // The first document whose end lies past the start.
        int d = UpperBound(ends, start);
        int n = 0;
        long position = start;
        while (position < end)
        {
            long docStart = d == 0 ? 0 : ends[d - 1];
            long take = Math.Min(ends[d], end) - position;
            if (take > 0)
                destination[n++] = new DocumentSegment(d, position - docStart, (int)take);
            position += take;
            d++;
        }
        return n;
    }

    /// <summary>The first index whose value is greater than <paramref name="value"/> in a sorted array.</summary>
    public static int UpperBound(long[] sorted, long value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}
