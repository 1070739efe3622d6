namespace Distillery.Reports;

/// <summary>
/// Registers the bundled font with ScottPlot. Without it, on a machine with no system fonts, ScottPlot draws
/// charts with no text at all and says nothing; so a missing font file is an error here.
/// </summary>
public static class ChartFonts
{
    public const string Name = "DejaVu Sans";
    public const string RegularFile = "DejaVuSans.ttf";
    public const string BoldFile = "DejaVuSans-Bold.ttf";
    public const string RelativeFolder = "assets/fonts";

    private static readonly Lock Gate = new();
    private static string? registered;

    /// <summary>The bundled regular font file: beside the program, else in the repository above the current folder.</summary>
    public static string BundledPath => Find(RegularFile);

    /// <summary>Registers the font (once per file) and makes it ScottPlot's default. Returns the font name to use.</summary>
    public static string Ensure(string? regularPath = null)
    {
        var regular = Path.GetFullPath(regularPath ?? Find(RegularFile));
        if (!File.Exists(regular)) throw new InvalidOperationException($"chart font {regular} is missing");
        lock (Gate)
        {
            if (registered != regular)
            {
                var bold = regularPath is null ? Find(BoldFile) : regular;
                ScottPlot.Fonts.AddFontFile(Name, regular, bold: false, italic: false);
                ScottPlot.Fonts.AddFontFile(Name, File.Exists(bold) ? bold : regular, bold: true, italic: false);
                registered = regular;
            }
            ScottPlot.Fonts.Default = Name;
            ScottPlot.Fonts.Sans = Name;
        }
        return Name;
    }

    private static string Find(string file)
    {
        var besideProgram = Path.Combine(AppContext.BaseDirectory, RelativeFolder, file);
        if (File.Exists(besideProgram)) return besideProgram;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativeFolder, file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException(
            $"chart font {file} not found in {Path.Combine(AppContext.BaseDirectory, RelativeFolder)} nor in an {RelativeFolder} folder above {Directory.GetCurrentDirectory()}");
    }
}
