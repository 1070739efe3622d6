using Distillery.Experiments;
using Distillery.Storage;

namespace Distillery.Cli;

/// <summary>A finished run given on the command line as its folder, <c>…/runs/&lt;runId&gt;</c>.</summary>
public static class RunFolder
{
    /// <summary>The store the folder lives in (the folder above <c>runs</c>) and the run's id; throws
    /// <see cref="InvalidInputException"/> unless the folder holds a finished run.</summary>
    public static async Task<(LocalDirectoryStore Store, string RunId)> OpenAsync(string runDir, CancellationToken ct)
    {
        var full = Path.GetFullPath(runDir.TrimEnd('/', '\\'));
        var runId = RunIds.Validate(Path.GetFileName(full));
        var runs = Path.GetDirectoryName(full);
        var root = runs is null ? null : Path.GetDirectoryName(runs);
        if (Path.GetFileName(runs) != "runs" || root is null
            || !await new LocalDirectoryStore(root).ExistsAsync(new RunLayout(runId).Results, ct))
            throw new InvalidInputException($"{runDir} is not a finished run folder (expected runs/<runId>/results.json)");
        return (new LocalDirectoryStore(root), runId);
    }
}
