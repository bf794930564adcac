using System.Diagnostics;
using System.Globalization;
using TorchMmap.Data;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Reliability.Changes;

/// <summary>
/// The hidden <c>read-while-changed</c> command: reads a mapped file in a loop, the way one kind of reader does, while the
/// parent (a test) shrinks, regrows or replaces the file. A read that touched a page the file no longer holds would raise
/// SIGBUS and kill this process; the parent asserts instead that it ends normally, with the reader's exception or with
/// every read done.
/// </summary>
/// <remarks>
/// Usage: <c>read-while-changed kind path seconds [--no-lease]</c>. Protocol on standard output: <c>READY</c> once the
/// first read succeeded; then either <c>CAUGHT type: message</c> for the first exception
/// (exit code 0), or <c>COMPLETED n</c> when the time is up without one (exit code 0).
/// </remarks>
public static class ReadWhileChanged
{
    /// <summary>The readers this command can run.</summary>
    public static readonly string[] Kinds = ["loader0", "loader2", "loader2-self-create", "gather", "gather2", "readrows", "totensor", "writerows", "tokens", "indexed", "indexed-documents", "ragged", "ragged-raw"];

    /// <summary>Runs reader <paramref name="kind"/> over <paramref name="path"/> until it throws or <paramref name="seconds"/> pass.</summary>
    /// <param name="kind">One of <see cref="Kinds"/>.</param>
    /// <param name="path">The file (a .npy file; raw uint16 tokens for <c>tokens</c>; the <c>.bin</c> or <c>.idx</c> of an indexed
    /// dataset for <c>indexed*</c>; <c>values.npy</c> or <c>offsets.npy</c> of a ragged array, the other beside it, for <c>ragged*</c>).</param>
    /// <param name="seconds">How long to read when nothing goes wrong.</param>
    /// <param name="leases">False to copy without file leases, as on file systems that have none (every copy by the kernel).</param>
    /// <returns>0 when the reader ended normally, 2 for an unknown kind.</returns>
    public static int Run(string kind, string path, double seconds, bool leases)
    {
        FileLease.Enabled = leases;
        Action<int> read;
        IDisposable owner;
        switch (kind)
        {
            case "loader0" or "loader2" or "loader2-self-create":
                {
                    var dataset = NpyMmapDataset.Open(("x", path));
                    var loader = new NpyDataLoader(dataset, 32, shuffle: true, seed: 1, num_workers: kind == "loader0" ? 0 : 2, disposeDataset: true);
                    owner = loader;
                    if (kind == "loader2-self-create")
                    {
                        // This process replaces the file it is reading with a new array of zeros, 100 ms after the first batch.
                        _ = Task.Run(async () =>
                        {
                            await s_firstRead.Task.ConfigureAwait(false);
                            await Task.Delay(100).ConfigureAwait(false);
                            NpyArray.Create(path, Format.NpyDType.UInt8, [3, 4]).Dispose();
                        });
                    }
                    read = epoch =>
                    {
                        loader.SetEpoch(epoch);
                        foreach (Dictionary<string, Tensor> batch in loader)
                            Ready();
                    };
                    break;
                }
            case "gather" or "gather2" or "readrows" or "totensor" or "writerows":
                {
                    NpyArray array = NpyArray.Open(path, kind == "writerows" ? NpyMode.ReadWrite : NpyMode.ReadOnly);
                    owner = array;
                    var random = new Random(1);
                    long[] indices = new long[Math.Min(32, array.Length)];
                    read = _ =>
                    {
                        for (int i = 0; i < indices.Length; i++)
                            indices[i] = random.NextInt64(array.Length);
                        switch (kind)
                        {
                            case "gather":
                                using (array.Gather(indices)) { }
                                break;
                            case "gather2":
                                using (array.Gather(indices, threads: 2)) { }
                                break;
                            case "readrows":
                                using (array.ReadRows(random.NextInt64(array.Length - indices.Length + 1), indices.Length)) { }
                                break;
                            case "totensor":
                                using (array.ToTensor()) { }
                                break;
                            default:
                                using (Tensor rows = array.ReadRows(0, indices.Length))
                                    array.WriteRows(array.Length - indices.Length, rows);
                                break;
                        }
                        Ready();
                    };
                    break;
                }
            case "tokens":
                {
                    var tokens = new TokenWindowDataset(TokenStream.OpenNanoGpt(path), blockSize: 1024, ownsTokens: true);
                    owner = tokens;
                    var random = new Random(1);
                    long[] indices = new long[16];
                    read = _ =>
                    {
                        for (int i = 0; i < indices.Length; i++)
                            indices[i] = random.NextInt64(tokens.Count);
                        foreach (Tensor t in tokens.GetBatch(indices).Values)
                            t.Dispose();
                        Ready();
                    };
                    break;
                }
            case "indexed" or "ragged":
                {
                    // Packed (Megatron's layout) over an indexed dataset, padded over a .npy ragged pair: 2 workers, shuffled.
                    RaggedArray documents = OpenDocuments(kind, path, out IDisposable files);
                    IBatchDataset dataset = kind == "indexed"
                        ? new PackedDocumentDataset(documents, blockSize: 1024, PackingMode.Split)
                        : new PaddedDocumentDataset(documents, maxLength: 1024);
                    var loader = new NpyDataLoader(dataset, 16, shuffle: true, seed: 1, num_workers: 2, disposeDataset: true);
                    owner = new Owners(loader, files);
                    read = epoch =>
                    {
                        loader.SetEpoch(epoch);
                        foreach (Dictionary<string, Tensor> batch in loader)
                            Ready();
                    };
                    break;
                }
            case "indexed-documents" or "ragged-raw":
                {
                    // The index read on its own (document boundaries; a row's stored values), as a tool walking the dataset does.
                    RaggedArray documents = OpenDocuments(kind, path, out IDisposable files);
                    owner = files;
                    var random = new Random(1);
                    read = _ =>
                    {
                        if (files is IndexedDataset indexed)
                        {
                            (long first, long end) = indexed.SequencesOf(random.NextInt64(indexed.DocumentCount));
                            long[] boundaries = indexed.ReadDocumentIndices();
                            long[] tokens = documents.Read(first);
                            if (end > boundaries[^1] || tokens.Length != documents.LengthOf(first))
                                throw new InvalidOperationException("The index read back differently.");
                        }
                        else
                        {
                            long row = random.NextInt64(documents.Count);
                            ushort[] values = new ushort[documents.LengthOf(row)];
                            documents.CopyRaw<ushort>(row, 0, values);
                        }
                        Ready();
                    };
                    break;
                }
            default:
                Console.Error.WriteLine($"unknown reader '{kind}'; use {string.Join(", ", Kinds)}");
                return 2;
        }

        var clock = Stopwatch.StartNew();
        long reads = 0;
        try
        {
            using (owner)
            {
                for (int n = 0; clock.Elapsed.TotalSeconds < seconds; n++, reads++)
                    read(n);
            }
        }
        catch (Exception ex)
        {
            Console.Out.WriteLine($"CAUGHT {ex.GetType().FullName}: {ex.Message.ReplaceLineEndings(" ")}");
            return 0;
        }
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"COMPLETED {reads}"));
        return 0;
    }

    // The documents of an indexed dataset (path: its .bin or .idx) or of a .npy ragged pair (path: either file of
    // values.npy/offsets.npy); `files` disposes what was opened.
    private static RaggedArray OpenDocuments(string kind, string path, out IDisposable files)
    {
        if (kind.StartsWith("indexed", StringComparison.Ordinal))
        {
            IndexedDataset indexed = IndexedDataset.Open(Path.ChangeExtension(path, null), Format.IndexedDatasetConvention.Megatron);
            files = indexed;
            return indexed.Sequences;
        }
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        RaggedArray ragged = RaggedArray.Open(Path.Combine(dir, "values.npy"), Path.Combine(dir, "offsets.npy"));
        files = ragged;
        return ragged;
    }

    // Disposes a loader, then the files under its dataset.
    private sealed class Owners(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }

    private static readonly TaskCompletionSource s_firstRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static bool s_ready;

    private static void Ready()
    {
        if (s_ready)
            return;
        s_ready = true;
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        s_firstRead.TrySetResult();
    }
}
