using System.CommandLine;
using System.Text.Json;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Retraining;
using Distillery.Serving;
using Distillery.Storage;

namespace Distillery.Cli;

/// <summary><c>distillery predict --run DIR --input CSV [--model student|teacher]</c>: a forecast from a finished run's model.</summary>
public static class PredictCommand
{
    /// <param name="guard">The CLI's error guard: bad input → exit code 2 and one line on stderr.</param>
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<TextWriter, Func<Task<int>>, Task<int>> guard)
    {
        var run = new Option<string>("--run") { Description = "A finished run's folder, e.g. runs/20261128-101500-abc123.", Required = true };
        var input = new Option<string>("--input") { Description = "CSV with a date column (yyyy-MM-dd) and every feature column; the last input-days rows by date are used.", Required = true };
        var model = new Option<string>("--model") { Description = "student (the champion fold's distilled student) or teacher (the best teacher fold).", DefaultValueFactory = _ => "student" };
        var command = new Command("predict", "Forecast the days after the input's last date with a finished run's model; prints JSON.");
        command.Options.Add(run);
        command.Options.Add(input);
        command.Options.Add(model);
        command.SetAction((result, token) => guard(stderr,
            () => RunAsync(result.GetValue(run)!, result.GetValue(input)!, result.GetValue(model), stdout, stderr, token)));
        return command;
    }

    /// <summary>Prints the forecast JSON (with the model's measured skill); a model that does not beat persistence still
    /// predicts (the run was asked for by name), with one warning line on <paramref name="stderr"/>.</summary>
    public static async Task<int> RunAsync(string runDir, string inputPath, string? model, TextWriter stdout, TextWriter stderr,
        CancellationToken ct)
    {
        var kind = Forecaster.ParseKind(model);
        var (store, runId) = await RunFolder.OpenAsync(runDir, ct);
        if (!File.Exists(inputPath)) throw new InvalidInputException($"input file {inputPath} not found");

        IReadOnlyList<IReadOnlyDictionary<string, string>> rows;
        await using (var stream = File.OpenRead(inputPath))
            rows = Forecaster.RowsFromCsv(stream, RawTableReader.DefaultMaxBytes, Path.GetFileName(inputPath));
        using var forecaster = await Forecaster.LoadAsync(store, runId, kind, ct);
        var forecast = forecaster.Predict(rows);
        if (BaselineGate.Refusal(kind.Name(), forecaster.Skill) is { } refusal)
            await stderr.WriteLineAsync($"warning: run {runId}: {refusal}");
        stdout.WriteLine(JsonSerializer.Serialize(forecast, ArtifactStoreJson.Options));
        return DistilleryCli.Ok;
    }
}
