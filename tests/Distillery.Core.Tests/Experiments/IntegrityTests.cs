using Distillery.Experiments;
using Distillery.Models;
using Distillery.Reports;
using Distillery.Storage;

namespace Distillery.Tests.Experiments;

/// <summary>Every model and dataset artifact has a SHA-256 beside it; a corrupt one is recomputed, never used.</summary>
public class IntegrityTests
{
    private static async Task Flip(IArtifactStore store, string path, int offset = 100)
    {
        var bytes = (await store.ReadAsync(path))!;
        bytes[Math.Min(offset, bytes.Length - 1)] ^= 0x5A;
        await ((LocalDirectoryStore)store).WriteAsync(path, bytes);
    }

    private static async Task<RunResults> Results(ExperimentSteps steps, string runId) =>
        (await steps.Store.ReadJsonAsync<RunResults>(new RunLayout(runId).Results))!;

    private static void SameCurves(RunResults expected, RunResults actual)
    {
        Assert.Equal(expected.BestTeacherFold, actual.BestTeacherFold);
        Assert.Equal(expected.Folds.Count, actual.Folds.Count);
        for (var i = 0; i < expected.Folds.Count; i++)
            foreach (var pick in new Func<FoldResult, Curves>[] { f => f[ModelKind.Teacher], f => f[ModelKind.Student], f => f[ModelKind.Fnn] })
            {
                Assert.Equal(pick(expected.Folds[i]).Train, pick(actual.Folds[i]).Train);
                Assert.Equal(pick(expected.Folds[i]).Test, pick(actual.Folds[i]).Test);
                Assert.Equal(pick(expected.Folds[i]).TestVsTruth, pick(actual.Folds[i]).TestVsTruth);
            }
    }

    [Fact]
    public async Task Every_model_and_dataset_file_has_a_matching_sha256_beside_it()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        await TinyRun.RunStepsAsync(steps, "hashed", TinyRun.Settings(epochs: 0));
        var files = await steps.Store.ListAsync("runs/hashed/");
        var hashed = files.Where(f => f.EndsWith(".pt") || f.EndsWith(".safetensors") || f.EndsWith(".f64")
                                      || f.Contains("/dataset/") && f.EndsWith(".json") || f.Contains("/curves/") && f.EndsWith(".json")).ToList();
        Assert.Equal(2 + 6 * 3, hashed.Count); // dataset.json + scaled.f64, and per job .pt, .safetensors, curves
        foreach (var path in hashed)
            Assert.Equal(ArtifactCheck.Verified, (await steps.Store.ReadCheckedAsync(path)).Status);
        // sha256sum's format: "<hex>  <file name>".
        var line = System.Text.Encoding.ASCII.GetString((await steps.Store.ReadAsync("runs/hashed/models/teacher-fold1.pt.sha256"))!);
        Assert.Matches("^[0-9a-f]{64}  teacher-fold1.pt\n$", line);
    }

    [Fact]
    public async Task A_corrupt_model_or_dataset_is_recomputed_on_the_next_run_and_results_are_unchanged()
    {
        using var dir = new TempDir();
        var counter = new PassCounter();
        var steps = TinyRun.Steps(dir.Path, counter);
        var settings = TinyRun.Settings(epochs: 1);
        await TinyRun.RunStepsAsync(steps, "heal", settings);
        var before = await Results(steps, "heal");
        Assert.Equal(6 * 2, counter.Passes);
        var layout = new RunLayout("heal");
        var matrix = (await steps.Store.ReadAsync(layout.DatasetMatrix))!;
        var teacher = (await steps.Store.ReadAsync(layout.Model(ModelKind.Teacher, 1)))!;

        await Flip(steps.Store, layout.DatasetMatrix, 4000);
        await Flip(steps.Store, layout.Model(ModelKind.Teacher, 1));
        await Flip(steps.Store, layout.Safetensors(ModelKind.Fnn, 2), 2000);
        await TinyRun.RunStepsAsync(steps, "heal", settings);

        Assert.Equal(6 * 2 + 2 * 2, counter.Passes); // the teacher of fold 1 and the FNN of fold 2 trained again, nothing else
        Assert.Equal(matrix, await steps.Store.ReadAsync(layout.DatasetMatrix)); // prepared again, identically
        Assert.Equal(teacher, await steps.Store.ReadAsync(layout.Model(ModelKind.Teacher, 1))); // retrained to the same weights
        foreach (var path in await steps.Store.ListAsync("runs/heal/"))
            Assert.NotEqual(ArtifactCheck.Corrupt, (await steps.Store.ReadCheckedAsync(path)).Status);
        SameCurves(before, await Results(steps, "heal"));
    }

    [Fact]
    public async Task A_training_step_prepares_a_corrupt_dataset_again_and_retrains_a_corrupt_teacher_before_distilling()
    {
        using var dir = new TempDir();
        var counter = new PassCounter();
        var steps = TinyRun.Steps(dir.Path, counter);
        var settings = TinyRun.Settings(epochs: 1);
        await TinyRun.RunStepsAsync(steps, "inner", settings);
        var before = await Results(steps, "inner");
        var layout = new RunLayout("inner");
        var best = before.BestTeacherFold;
        var passes = counter.Passes;

        // The student's step finds its dataset and its teacher corrupt: it re-prepares, retrains the teacher, then distils.
        await Flip(steps.Store, layout.DatasetMatrix, 8000);
        await Flip(steps.Store, layout.Model(ModelKind.Teacher, best));
        await steps.Store.DeleteAsync(layout.Outcome(ModelKind.Student, 1));
        var student = await steps.TrainStudent.RunAsync(new TrainRequest("inner", settings, ModelKind.Student, 1, best));

        Assert.Equal(passes + 2 + 2, counter.Passes); // teacher again, then the student
        Assert.Equal(ArtifactCheck.Verified, (await steps.Store.ReadCheckedAsync(layout.DatasetMatrix)).Status);
        Assert.Equal(ArtifactCheck.Verified, (await steps.Store.ReadCheckedAsync(layout.Model(ModelKind.Teacher, best))).Status);
        Assert.Equal(before.Folds[0][ModelKind.Student].Test[^1], student.FinalTest);
        Assert.Equal(before.Folds[0][ModelKind.Student].TestVsTruth![^1], student.FinalTestVsTruth);
    }

    [Fact]
    public async Task Readers_that_cannot_recompute_refuse_a_corrupt_artifact()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        await TinyRun.RunStepsAsync(steps, "refuse", TinyRun.Settings(epochs: 0));
        var layout = new RunLayout("refuse");
        await Flip(steps.Store, layout.Model(ModelKind.Student, 1));
        var report = await Assert.ThrowsAsync<CorruptArtifactException>(() => RunReport.WriteAsync(steps.Store, "refuse", new ReportOptions()));
        Assert.Contains("student-fold1.pt is corrupt", report.Message);

        // The summarize step cannot retrain: it refuses a corrupt outcome (resuming the run retrains it first).
        var settings = TinyRun.Settings(epochs: 0);
        var dataset = await steps.Prepare.RunAsync(new PrepareRequest("refuse", settings));
        var teachers = new List<TrainedModel>();
        for (var fold = 1; fold <= 2; fold++) teachers.Add(await steps.TrainTeacher.RunAsync(new TrainRequest("refuse", settings, ModelKind.Teacher, fold)));
        var best = TeacherSelection.Best(teachers.Select(t => (t.Fold, t.FinalTrain, t.FinalTest)));
        var students = new List<TrainedModel>();
        for (var fold = 1; fold <= 2; fold++)
        {
            students.Add(await steps.TrainStudent.RunAsync(new TrainRequest("refuse", settings, ModelKind.Student, fold, best)));
            students.Add(await steps.TrainStudent.RunAsync(new TrainRequest("refuse", settings, ModelKind.Fnn, fold)));
        }
        await Flip(steps.Store, layout.Outcome(ModelKind.Fnn, 2), 50);
        var summary = await Assert.ThrowsAsync<CorruptArtifactException>(() => steps.Summarize.RunAsync(
            new SummarizeRequest("refuse", settings, dataset, teachers, best, students, DateTime.UtcNow, DateTime.UtcNow)));
        Assert.Contains("fnn-fold2.json is corrupt", summary.Message);
    }

    [Fact]
    public async Task Preparing_again_from_a_source_that_changed_is_refused()
    {
        using var dir = new TempDir();
        var csv = Path.Combine(dir.Path, "data.csv");
        File.Copy(RepoPaths.UsFl, csv);
        var steps = TinyRun.Steps(Path.Combine(dir.Path, "out"));
        var settings = TinyRun.Settings() with { Data = csv };
        await steps.Prepare.RunAsync(new PrepareRequest("changed", settings));
        var layout = new RunLayout("changed");
        await Flip(steps.Store, layout.DatasetMatrix, 800);
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        var column = Array.IndexOf(header, "new_confirmed");
        var fields = lines[200].Split(',');
        fields[column] = "987654";
        lines[200] = string.Join(',', fields);
        File.WriteAllLines(csv, lines);
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => steps.Prepare.RunAsync(new PrepareRequest("changed", settings)));
        Assert.Contains("changed since the run was prepared", error.Message);
    }
}
