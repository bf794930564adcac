using TorchMmap.Format;
using TorchMmap.Idx;

namespace FashionMnist;

/// <summary>
/// Finds the four Fashion-MNIST IDX files and converts them once to .npy (images uint8 (N, 1, 28, 28), labels int64
/// (N,)) with the library's <see cref="NpyWriter"/>; later runs reuse the .npy files.
/// </summary>
public static class FashionMnistData
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The IDX file names, in the order train images, train labels, test images, test labels.</summary>
    public static IReadOnlyList<string> IdxNames { get; } =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>The .npy file names written, in the same order as <see cref="IdxNames"/>.</summary>
    public static IReadOnlyList<string> NpyNames { get; } = ["train-images.npy", "train-labels.npy", "test-images.npy", "test-labels.npy"];

    /// <summary>What to do when the files are missing.</summary>
    /// <param name="directory">The folder searched.</param>
    /// <returns>A message naming the folder, the files, and how to get them.</returns>
    public static string MissingMessage(string directory) =>
        $"""
        Fashion-MNIST was not found in '{directory}'. The example needs the four IDX files
          {string.Join(", ", IdxNames.Select(n => n + ".gz"))}
        (gzip'd or not). To get them:
          - on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist   (installs them in {DebianDirectory}),
            or run: bash scripts/setup.sh
          - elsewhere: download the four files from the Fashion-MNIST project (github.com/zalandoresearch/fashion-mnist,
            folder data/fashion) into a folder and pass it with --data DIR.
        """;

    /// <summary>Finds the IDX files in <paramref name="directory"/>, each as <c>NAME.gz</c> or <c>NAME</c>.</summary>
    /// <param name="directory">The folder.</param>
    /// <returns>The four paths, in the order of <see cref="IdxNames"/>, or null when any is missing.</returns>
    public static string[]? FindIdxFiles(string directory)
    {
        var found = new string[IdxNames.Count];
        for (int i = 0; i < found.Length; i++)
        {
            string gz = Path.Combine(directory, IdxNames[i] + ".gz"), plain = Path.Combine(directory, IdxNames[i]);
            string? path = File.Exists(gz) ? gz : File.Exists(plain) ? plain : null;
            if (path is null)
                return null;
            found[i] = path;
        }
        return found;
    }

    /// <summary>
    /// Makes sure the .npy files exist in <paramref name="npyDirectory"/>: each one that is missing, malformed, or does not
    /// hold as many rows as its IDX file is (re)converted.
    /// </summary>
    /// <param name="idxFiles">The four IDX files, from <see cref="FindIdxFiles"/>.</param>
    /// <param name="npyDirectory">Where the .npy files go; created if needed.</param>
    /// <param name="progress">Called with (file name, rows written, total rows) as a conversion proceeds; may be null.</param>
    /// <returns>The .npy files and whether any was converted in this call.</returns>
    /// <exception cref="ArgumentException"><paramref name="idxFiles"/> does not hold four paths.</exception>
    /// <exception cref="InvalidDataException">An IDX file is malformed; the message names it.</exception>
    public static (DatasetFiles Files, bool Converted) Prepare(IReadOnlyList<string> idxFiles, string npyDirectory, Action<string, long, long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(idxFiles);
        if (idxFiles.Count != IdxNames.Count)
            throw new ArgumentException($"Expected {IdxNames.Count} IDX files; got {idxFiles.Count}.", nameof(idxFiles));
        Directory.CreateDirectory(npyDirectory);
        string[] npy = NpyNames.Select(n => Path.Combine(npyDirectory, n)).ToArray();
        bool converted = false;
        for (int i = 0; i < npy.Length; i++)
        {
            if (IsUpToDate(idxFiles[i], npy[i]))
                continue;
            string name = NpyNames[i];
            var options = new IdxConversionOptions { InsertChannelAxis = true, WidenLabelsToInt64 = true };
            IdxConverter.Convert(idxFiles[i], npy[i], options, (done, total) => progress?.Invoke(name, done, total));
            converted = true;
        }
        return (new DatasetFiles(npy[0], npy[1], npy[2], npy[3]), converted);
    }

    private static bool IsUpToDate(string idxPath, string npyPath)
    {
        if (!File.Exists(npyPath))
            return false;
        try
        {
            NpyHeader npy = NpyHeader.Read(npyPath);
            using IdxReader idx = IdxReader.Open(idxPath);
            return npy.Shape.Count > 0 && npy.Shape[0] == idx.RowCount
                && npy.DType.Equals(idx.Header.Shape.Count == 1 ? NpyDType.Int64 : NpyDType.UInt8)
                && new FileInfo(npyPath).Length == npy.DataOffset + npy.DataLength;
        }
        catch (InvalidDataException)
        {
            // A damaged .npy is simply rewritten.
            return false;
        }
    }
}
