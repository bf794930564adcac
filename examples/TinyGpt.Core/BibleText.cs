using System.Diagnostics;
using System.Text;

namespace TinyGpt;

/// <summary>
/// The King James Bible as printed by Debian's <c>bible</c> command (package <c>bible-kjv</c>), with each verse on one line.
/// </summary>
public static class BibleText
{
    /// <summary>The command that prints the whole text.</summary>
    public const string Command = "bible";

    /// <summary>Its arguments: the data folder of <c>bible-kjv-text</c> and the range Genesis 1:1 to Revelation 22:21.</summary>
    public const string Arguments = "-p /usr/lib gen1:1-rev22:21";

    /// <summary>What to do when the command is missing.</summary>
    public static string MissingMessage { get; } =
        """
        The King James Bible was not found: the example runs Debian's 'bible' command (package bible-kjv), which prints it.
          - on Debian/Ubuntu: sudo apt-get install bible-kjv, or run: bash scripts/setup.sh
          - elsewhere: pass any UTF-8 text file with --text FILE
        """;

    /// <summary>Runs <c>bible</c> and returns the text with <see cref="Normalise"/> applied.</summary>
    /// <returns>The text, or null when the command is not installed.</returns>
    /// <exception cref="InvalidOperationException">The command ran but failed or printed nothing.</exception>
    public static string? Read()
    {
        var start = new ProcessStartInfo(Command, Arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Not on PATH.
            return null;
        }
        if (process is null)
            return null;
        using (process)
        {
            Task<string> error = process.StandardError.ReadToEndAsync();
            string printed = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 || printed.Length == 0)
                throw new InvalidOperationException($"'{Command} {Arguments}' exited with code {process.ExitCode} and printed {printed.Length} characters: {error.Result.Trim()}");
            return Normalise(printed);
        }
    }

    /// <summary>
    /// Joins the lines the command wraps at 80 columns, so each verse is one line (<c>"3 And God said, Let there be light: ..."</c>);
    /// chapter headings (<c>"Genesis 1"</c>) stay on their own line after a blank line.
    /// </summary>
    /// <param name="printed">The command's output: a heading between blank lines, then verses that start with two spaces and
    /// their number, continued on lines without indent.</param>
    /// <returns>The text, lines ending in <c>\n</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="printed"/> is null.</exception>
    public static string Normalise(string printed)
    {
        ArgumentNullException.ThrowIfNull(printed);
        var text = new StringBuilder(printed.Length);
        bool inVerse = false;
        foreach (string raw in printed.Split('\n'))
        {
            string line = raw.TrimEnd('\r', ' ');
            if (line.Length == 0)
            {
                inVerse = false;
                continue;
            }
            if (line.StartsWith("  ", StringComparison.Ordinal))
            {
                // A verse: "  12 And the gold ..."
                if (text.Length > 0)
                    text.Append('\n');
                text.Append(line.TrimStart());
                inVerse = true;
            }
            else if (inVerse)
            {
                text.Append(' ').Append(line);
            }
            else
            {
                // A heading: a blank line before it, unless it is the first.
                if (text.Length > 0)
                    text.Append("\n\n");
                text.Append(line);
            }
        }
        return text.Append('\n').ToString();
    }
}
