using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace TorchMmap.Cli;

/// <summary>
/// Arguments and options whose values the parser checks, so a bad number is a usage error (exit 2) that names the
/// value before any file is opened.
/// </summary>
internal static class CommandLineValues
{
    /// <summary>An optional positional whole number above zero, <paramref name="fallback"/> when absent.</summary>
    public static Argument<long> PositiveLongArgument(string name, long fallback, string description) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => fallback,
        CustomParser = result => ParseLong(result, name, minimum: 1, "a positive whole number"),
    };

    /// <summary>An option taking a whole number above zero; null when absent.</summary>
    public static Option<long?> PositiveLongOption(string name, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => ParseLong(result, name, minimum: 1, "a positive whole number"),
    };

    /// <summary>An option taking a whole number of zero or more; null when absent.</summary>
    public static Option<long?> NonNegativeLongOption(string name, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => ParseLong(result, name, minimum: 0, "a non-negative whole number"),
    };

    /// <summary>An option that takes one of <paramref name="choices"/>; null when absent.</summary>
    public static Option<string> ChoiceOption(string name, string description, params string[] choices)
    {
        var option = new Option<string>(name) { Description = description, HelpName = string.Join('|', choices) };
        option.AcceptOnlyFromAmong(choices);
        return option;
    }

    // Digits only (no sign, no separators), as a count or a size is written.
    private static long ParseLong(ArgumentResult result, string name, long minimum, string what)
    {
        string text = result.Tokens[0].Value;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value < minimum)
        {
            result.AddError($"{name} takes {what}; not '{text}'.");
            return 0;
        }
        return value;
    }
}
