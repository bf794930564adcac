using System.Text.Json;
using TorchMmap.Format;

namespace TorchMmap.Tests.Format;

/// <summary>
/// The hand-built headers of the parse and refusal tests, handed to real NumPy in one Python run: every header we
/// accept NumPy accepts with the same dtype and shape, and every file we refuse as malformed NumPy refuses too (bar the
/// places we are deliberately stricter).
/// </summary>
[Trait("Requires", "python")]
public sealed class NpyHeaderNumPyAgreementTests : IDisposable
{
    private const string Script = """
import json, sys
import numpy as np

results = {}
for path in json.load(open(sys.argv[1])):
    try:
        a = np.load(path, allow_pickle=False)
        results[path] = {'ok': True, 'descr': a.dtype.str, 'shape': list(a.shape)}
    except Exception as ex:
        results[path] = {'ok': False, 'error': type(ex).__name__}
print(json.dumps(results))
""";

    // Where we refuse on purpose what NumPy 1.24 lets through: it keeps the last of duplicate keys, and it reads a
    // dimension of -1 as "infer from the data" (so (-1, 3) over no data loads as (0, 3)).
    private static readonly HashSet<string> s_stricterThanNumPy = ["duplicate key", "negative dimension"];

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-agree-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void HandBuiltHeaders_AcceptedAndRefusedAsNumPyDoes()
    {
        var accepted = new List<(string Path, string Dict)>();
        foreach (object[] row in (IEnumerable<object[]>)NpyHeaderParseTests.AcceptedDictTexts)
        {
            string dict = (string)row[0];
            string path = Path.Combine(_dir, $"accepted-{accepted.Count}.npy");
            File.WriteAllBytes(path, NpyBytes.File(dict, new byte[24]));
            accepted.Add((path, dict));
        }
        foreach (string descr in new[] { "|i4", "=i4", "i4" })
        {
            string path = Path.Combine(_dir, $"accepted-{accepted.Count}.npy");
            File.WriteAllBytes(path, NpyBytes.File(NpyBytes.Dict(descr, "(3, 2)"), new byte[24]));
            accepted.Add((path, descr));
        }
        var refused = new List<(string Path, string Reason)>();
        foreach (object[] row in (IEnumerable<object[]>)NpyHeaderMalformedTests.Cases)
        {
            if ((Type)row[2] != typeof(InvalidDataException))
                continue;
            string path = Path.Combine(_dir, $"refused-{refused.Count}.npy");
            File.WriteAllBytes(path, (byte[])row[1]);
            refused.Add((path, (string)row[0]));
        }
        string list = Path.Combine(_dir, "files.json");
        File.WriteAllText(list, JsonSerializer.Serialize(accepted.Select(a => a.Path).Concat(refused.Select(r => r.Path))));

        using JsonDocument numpy = JsonDocument.Parse(NumPyScript.Run(Script, list));

        foreach ((string path, string dict) in accepted)
        {
            JsonElement result = numpy.RootElement.GetProperty(path);
            Assert.True(result.GetProperty("ok").GetBoolean(), $"NumPy refuses a header we accept: {dict} ({result})");
            NpyHeader ours = NpyHeader.Read(path);
            Assert.Equal(ours.DType.ScalarType == TorchSharp.torch.ScalarType.Float32 ? "<f4" : "<i4", result.GetProperty("descr").GetString());
            Assert.Equal(ours.Shape, result.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        }
        string[] disagreements = refused
            .Select(r => (r.Reason, Result: numpy.RootElement.GetProperty(r.Path)))
            .Where(r => r.Result.GetProperty("ok").GetBoolean() != s_stricterThanNumPy.Contains(r.Reason))
            .Select(r => $"{r.Reason}: NumPy says {r.Result}")
            .ToArray();
        Assert.True(disagreements.Length == 0, "NumPy and TorchMmap disagree on refusals:\n" + string.Join('\n', disagreements));
    }
}
