namespace Distillery.Experiments.Steps;

/// <summary>Trains a fold's LSTM teacher on the true targets.</summary>
public sealed class TrainTeacherStep(ModelTraining training)
{
    public Task<TrainedModel> RunAsync(TrainRequest request, CancellationToken ct = default) =>
        training.RunAsync(request with { Kind = Models.ModelKind.Teacher, TeacherFold = null, StudentHidden = null }, null, ct);
}
