using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Experiments.Steps;

/// <summary>Trains a fold's feed-forward net: the student distilled from a teacher, or the FNN on the truth. A
/// distilling teacher that is missing or corrupt is trained again first (to the same bits).</summary>
public sealed class TrainStudentStep(ModelTraining training, TrainTeacherStep teachers)
{
    public Task<TrainedModel> RunAsync(TrainRequest request, CancellationToken ct = default)
    {
        if (request.Kind == ModelKind.Teacher) throw new ArgumentException("a student step trains the student or the FNN", nameof(request));
        if (request.Kind.LearnsFromTeacher() && request.TeacherFold is null)
            throw new ArgumentException("the distilled student needs the teacher's fold", nameof(request));
        // α = 1 is all truth: the teacher is not needed.
        var distils = request.Kind.LearnsFromTeacher() && request.Settings.Alpha < 1;
        return training.RunAsync(request, distils ? artifacts => TeacherWeightsAsync(request, artifacts, ct) : null, ct);
    }

    private async Task<byte[]> TeacherWeightsAsync(TrainRequest request, RunArtifacts artifacts, CancellationToken ct)
    {
        var teacherFold = request.TeacherFold!.Value;
        var read = await artifacts.CheckedModelAsync(ModelKind.Teacher, teacherFold, "", ct);
        if (read.IsVerified) return read.Content!;
        await teachers.RunAsync(request with { Fold = teacherFold }, ct);
        read = await artifacts.CheckedModelAsync(ModelKind.Teacher, teacherFold, "", ct);
        return read.IsVerified ? read.Content! : throw new CorruptArtifactException($"teacher of fold {teacherFold}: {read.Describe()}");
    }
}
