using System.Globalization;

namespace TorchMmap.Cli;

/// <summary>The arguments after a command's name: positional values and <c>--flags</c>, checked against what the command takes.</summary>
internal sealed class CommandArguments
{
    private readonly List<string> _positional = [];
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public CommandArguments(string command, IReadOnlyList<string> args, int required, int optional, params string[] flags)
        : this(command, args, required, optional, flags, [])
    {
    }

    // valued: options that take a value, as "--name value".
    public CommandArguments(string command, IReadOnlyList<string> args, int required, int optional, string[] flags, string[] valued)
    {
        Command = command;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (valued.Contains(a))
            {
                if (i + 1 >= args.Count)
                    throw new UsageException($"'{command}': the option '{a}' needs a value.");
                _values[a] = args[++i];
            }
            else if (a.StartsWith("--", StringComparison.Ordinal))
            {
                if (!flags.Contains(a))
                    throw new UsageException($"'{command}' has no option '{a}'.");
                _flags.Add(a);
            }
            else
            {
                _positional.Add(a);
            }
        }
        if (_positional.Count < required)
            throw new UsageException($"'{command}' needs {required} argument{(required == 1 ? "" : "s")}; got {_positional.Count}.");
        if (_positional.Count > required + optional)
            throw new UsageException($"'{command}' takes at most {required + optional} argument{(required + optional == 1 ? "" : "s")}; got {_positional.Count}.");
    }

    public string Command { get; }

    public string this[int index] => _positional[index];

    public int Count => _positional.Count;

    public bool Has(string flag) => _flags.Contains(flag);

    /// <summary>The value of a valued option, or null when it was not given.</summary>
    public string? Value(string option) => _values.GetValueOrDefault(option);

    public long PositiveLong(int index, long fallback)
    {
        if (index >= _positional.Count)
            return fallback;
        if (!long.TryParse(_positional[index], NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value <= 0)
            throw new UsageException($"'{Command}': '{_positional[index]}' is not a positive whole number.");
        return value;
    }
}
