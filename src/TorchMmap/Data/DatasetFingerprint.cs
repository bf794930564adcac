using System.Globalization;

namespace TorchMmap.Data;

/// <summary>
/// What identifies a dataset cheaply: its number of samples and, per array, the dtype, shape, file size and a hash of a
/// few bytes sampled across the file. <see cref="NpyDataLoader.state_dict"/> records it so that
/// <see cref="NpyDataLoader.load_state_dict"/> can refuse to resume on other data.
/// </summary>
/// <remarks>
/// Paths are not part of it: a run may resume on a copy of the data at another place (another node's local disk).
/// The content sample reads 16 pieces of 64 bytes spread over each file, so computing it costs a few page reads at
/// any file size; it tells apart files rewritten with other values, not every possible edit.
/// </remarks>
/// <param name="Count">The number of samples.</param>
/// <param name="Arrays">The arrays, in the dataset's order; empty for a dataset that does not describe its storage.</param>
/// <param name="Selection">For a view such as a <see cref="Subset"/>: which samples of the arrays it holds, as text; otherwise <see langword="null"/>.</param>
public sealed record DatasetFingerprint(long Count, IReadOnlyList<ArrayFingerprint> Arrays, string? Selection = null)
{
    private const int SamplePieces = 16;
    private const int SamplePieceBytes = 64;

    /// <summary>Returns the fingerprint of a dataset known only by its number of samples.</summary>
    /// <param name="count">The number of samples.</param>
    /// <returns>A fingerprint with no arrays.</returns>
    public static DatasetFingerprint OfCount(long count) => new(count, []);

    /// <summary>Says how <paramref name="other"/> differs from this fingerprint.</summary>
    /// <param name="other">The fingerprint to compare with.</param>
    /// <returns><see langword="null"/> when they are equal; otherwise one line per difference, this one's value first.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is <see langword="null"/>.</exception>
    public string? DifferenceFrom(DatasetFingerprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var differences = new List<string>();
        if (Count != other.Count)
        {
            differences.Add(FormattableString.Invariant($"{Count} samples vs {other.Count}"));
        }

        if (!string.Equals(Selection, other.Selection, StringComparison.Ordinal))
        {
            differences.Add($"selection {Selection ?? "all samples"} vs {other.Selection ?? "all samples"}");
        }

        var theirs = other.Arrays.ToDictionary(a => a.Name, StringComparer.Ordinal);
        foreach (ArrayFingerprint mine in Arrays)
        {
            if (!theirs.Remove(mine.Name, out ArrayFingerprint? their))
            {
                differences.Add($"array '{mine.Name}' vs no such array");
                continue;
            }

            if (mine.DType != their.DType)
            {
                differences.Add($"array '{mine.Name}': dtype {mine.DType} vs {their.DType}");
            }

            if (!mine.Shape.SequenceEqual(their.Shape))
            {
                differences.Add($"array '{mine.Name}': shape {FormatShape(mine.Shape)} vs {FormatShape(their.Shape)}");
            }

            if (mine.FileBytes != their.FileBytes)
            {
                differences.Add(FormattableString.Invariant($"array '{mine.Name}': file size {mine.FileBytes} bytes vs {their.FileBytes}"));
            }

            if (mine.ContentSample != their.ContentSample)
            {
                differences.Add($"array '{mine.Name}': content sample {mine.ContentSample} vs {their.ContentSample} (the bytes differ)");
            }
        }

        differences.AddRange(theirs.Keys.Select(name => $"no array '{name}' vs array '{name}'"));
        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    /// <inheritdoc/>
    public bool Equals(DatasetFingerprint? other) => other is not null && DifferenceFrom(other) is null;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Count, Arrays.Count, Selection);

    /// <summary>Hashes <see cref="SamplePieces"/> pieces of <see cref="SamplePieceBytes"/> bytes spread evenly over the files, in order.</summary>
    /// <exception cref="IOException">A file cannot be read.</exception>
    internal static string SampleContent(IEnumerable<string> paths)
    {
        ulong hash = 14695981039346656037;
        Span<byte> piece = stackalloc byte[SamplePieceBytes];
        foreach (string path in paths)
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(path);
            long length = RandomAccess.GetLength(handle);
            for (int i = 0; i < SamplePieces; i++)
            {
                // Pieces from the first byte (the header) to the last, so a change of values anywhere in a small file shows.
                long offset = Math.Max(0, (length - SamplePieceBytes) * i / (SamplePieces - 1));
                int read = RandomAccess.Read(handle, piece, offset);
                foreach (byte b in piece[..read])
                {
                    hash = (hash ^ b) * 1099511628211;
                }
            }
        }

        return SplitMix64.Mix(hash).ToString("x16", CultureInfo.InvariantCulture);
    }

    private static string FormatShape(IReadOnlyList<long> shape) =>
        "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + (shape.Count == 1 ? ",)" : ")");
}

/// <summary>One array of a <see cref="DatasetFingerprint"/>.</summary>
/// <param name="Name">The array's name in the dataset.</param>
/// <param name="DType">The dtype as NumPy writes it, such as <c>&lt;f4</c>.</param>
/// <param name="Shape">The whole array's shape (the shards' rows added up).</param>
/// <param name="FileBytes">The size of the array's files, added up over its shards.</param>
/// <param name="ContentSample">A hash of bytes sampled across the files.</param>
public sealed record ArrayFingerprint(string Name, string DType, IReadOnlyList<long> Shape, long FileBytes, string ContentSample)
{
    /// <inheritdoc/>
    public bool Equals(ArrayFingerprint? other) =>
        other is not null && Name == other.Name && DType == other.DType && Shape.SequenceEqual(other.Shape)
        && FileBytes == other.FileBytes && ContentSample == other.ContentSample;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, DType, FileBytes, ContentSample);
}
