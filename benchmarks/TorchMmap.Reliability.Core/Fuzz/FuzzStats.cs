using System.Collections.Concurrent;
using System.Text;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>Thread-safe counts of fuzz cases by family and outcome.</summary>
public sealed class FuzzStats
{
    private readonly ConcurrentDictionary<(string Family, string Outcome), long> _counts = new();

    /// <summary>All cases counted.</summary>
    public long Total => _counts.Values.Sum();

    /// <summary>Cases of one family, or of one outcome, or both (null matches any).</summary>
    /// <param name="family">The family, or null.</param>
    /// <param name="outcome">The outcome, or null.</param>
    /// <returns>The count.</returns>
    public long Count(string? family = null, string? outcome = null) =>
        _counts.Where(kv => (family is null || kv.Key.Family == family) && (outcome is null || kv.Key.Outcome == outcome)).Sum(kv => kv.Value);

    /// <summary>Counts one case.</summary>
    /// <param name="family">The case's family.</param>
    /// <param name="outcome">What happened: <c>read</c> or the exception type's name.</param>
    public void Record(string family, string outcome) => _counts.AddOrUpdate((family, outcome), 1, (_, n) => n + 1);

    /// <summary>A table of families by outcome, as Markdown.</summary>
    /// <returns>The table.</returns>
    public string ToMarkdown()
    {
        string[] outcomes = _counts.Keys.Select(k => k.Outcome).Distinct().Order(StringComparer.Ordinal).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine("| family | cases | " + string.Join(" | ", outcomes) + " |");
        sb.AppendLine("|---|---:|" + string.Concat(outcomes.Select(_ => "---:|")));
        foreach (string family in _counts.Keys.Select(k => k.Family).Distinct().Order(StringComparer.Ordinal))
            sb.AppendLine($"| {family} | {Count(family)} | " + string.Join(" | ", outcomes.Select(o => Count(family, o))) + " |");
        sb.AppendLine($"| **all** | {Total} | " + string.Join(" | ", outcomes.Select(o => Count(null, o))) + " |");
        return sb.ToString();
    }
}
