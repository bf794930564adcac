namespace TorchMmap.Benchmarks;

/// <summary>Command-line options: <c>--name value</c> pairs after the mode.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public Options(IEnumerable<string> args)
    {
        string? key = null;
        foreach (string a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                key = a[2..];
                _values[key] = "true";
            }
            else if (key is not null)
            {
                _values[key] = a;
                key = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{a}'.");
            }
        }
    }

    public string Data => Get("data", Path.Combine(Path.GetTempPath(), "torchmmap-bench"));

    public string Get(string name, string fallback) => _values.TryGetValue(name, out string? v) ? v : fallback;

    public int GetInt(string name, int fallback) => _values.TryGetValue(name, out string? v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    public string[] GetList(string name, IEnumerable<string> fallback) =>
        _values.TryGetValue(name, out string? v) ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : fallback.ToArray();
}
