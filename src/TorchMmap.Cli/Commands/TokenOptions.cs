using System.Globalization;

namespace TorchMmap.Cli.Commands;

/// <summary>The arguments of a <c>tokens</c> subcommand: positional values and <c>--name value</c> options, checked against what it takes.</summary>
internal sealed class TokenOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public TokenOptions(string command, IReadOnlyList<string> args, int minPositional, params string[] options)
    {
        Command = command;
        var positional = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(a);
                continue;
            }
            if (!options.Contains(a))
                throw new UsageException($"'{command}' has no option '{a}'.");
            if (i + 1 >= args.Count)
                throw new UsageException($"'{command}': the option '{a}' needs a value.");
            _values[a] = args[++i];
        }
        if (positional.Count < minPositional)
            throw new UsageException($"'{command}' needs at least {minPositional} argument{(minPositional == 1 ? "" : "s")}; got {positional.Count}.");
        Positional = positional;
    }

    public string Command { get; }

    public IReadOnlyList<string> Positional { get; }

    public string? Get(string option) => _values.GetValueOrDefault(option);

    public T Choice<T>(string option, T fallback, params (string Name, T Value)[] choices)
    {
        string? value = Get(option);
        if (value is null)
            return fallback;
        foreach ((string name, T v) in choices)
        {
            if (name == value)
                return v;
        }
        throw new UsageException($"'{Command}': {option} takes {string.Join(", ", choices.Select(c => c.Name))}; not '{value}'.");
    }

    public long PositiveLong(string option, long fallback)
    {
        string? value = Get(option);
        if (value is null)
            return fallback;
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
            throw new UsageException($"'{Command}': {option} takes a positive whole number; not '{value}'.");
        return n;
    }
}
