"""实战：表格数据回归。在 scikit-learn 自带的糖尿病数据集上做完整的回归流程。

对应页面 ``docs/workflow/tabular-regression.md``：读取原始特征、类别特征的编码、
只用训练部分统计量的逐列标准化、RMSE / MAE / R² 三个指标、岭回归的解析解作为线性基线、
用 AdamW 训练的小型多层感知机，以及 K 折交叉验证和最后一次测试集评估。
划分用 :mod:`lessons_src.workflow.data_split` 的 :func:`split_dataset` 和 :func:`kfold_subsets`，
多层感知机的训练循环用 :mod:`lessons_src.linear_networks.linear_regression_concise` 的
:func:`train_regression`。

这里约定“回归器”（regressor）是一个函数 ``fit_predict(X_train, y_train, X_eval, **超参数)``：
在 ``(X_train, y_train)`` 上拟合，返回对 ``X_eval`` 的预测（形状 ``(n_eval,)``）。
它收到的特征已经用训练部分的统计量标准化过。
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import TensorDataset

from lessons_src.checks import (
    require_callable,
    require_int,
    require_positive,
    require_positive_int,
    require_real,
    require_tensor,
)
from lessons_src.linear_networks.linear_regression_concise import train_regression
from lessons_src.workflow.data_split import kfold_subsets

__all__ = [
    "DIABETES_FEATURES",
    "Regressor",
    "column_statistics",
    "cross_validate_regression",
    "load_diabetes_tensors",
    "log_rmse",
    "mae",
    "mlp_predict",
    "one_hot_column",
    "plot_predictions",
    "predict_mean",
    "r2_score",
    "ridge_predict",
    "rmse",
    "standardize_columns",
    "train_and_score",
]

#: 糖尿病数据集 10 个特征的名字（与 ``load_diabetes().feature_names`` 相同）。
DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")

Regressor = Callable[..., torch.Tensor]


# --8<-- [start:load_diabetes_tensors]
def load_diabetes_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """读取 scikit-learn 自带的糖尿病数据集的**原始**特征，返回 ``(X, y)``。

    ``X`` 的形状为 ``(442, 10)``，列的顺序见 :data:`DIABETES_FEATURES`；
    ``y`` 的形状为 ``(442,)``，是一年后的病情进展指标。两者都是 ``torch.float32``。
    ``scaled=False`` 取未经处理的特征：默认的 ``load_diabetes()`` 已经把每一列
    减去均值、再缩放到平方和为 1，那样就没有预处理可做了。

    Examples:
        >>> X, y = load_diabetes_tensors()
        >>> X.shape, y.shape
        (torch.Size([442, 10]), torch.Size([442]))
        >>> sorted(set(X[:, 1].tolist()))   # sex 只取两个值
        [1.0, 2.0]
    """
    from sklearn.datasets import load_diabetes

    diabetes = load_diabetes(scaled=False)
    X = torch.tensor(diabetes.data, dtype=torch.float32)
    y = torch.tensor(diabetes.target, dtype=torch.float32)
    return X, y
# --8<-- [end:load_diabetes_tensors]


def check_one_hot_column_args(X: object, column: object) -> int:
    """检查 :func:`one_hot_column` 的参数：``X`` 是二维浮点张量，``column`` 是它的一个列号。"""
    require_tensor(X, "X", floating=True, ndim=2)
    require_int(column, "column", minimum=0)
    if column >= X.shape[1]:
        raise ValueError(f"参数 column 应小于特征数 {X.shape[1]}，实际得到 {column}")
    return column


# --8<-- [start:one_hot_column]
def one_hot_column(
    X: torch.Tensor, column: int
) -> tuple[torch.Tensor, list[float]]:
    """把第 ``column`` 列（类别特征）换成独热编码，返回 ``(新特征, 类别取值)``。

    这一列有 ``m`` 个不同的取值时，它被换成 ``m`` 个 0/1 列，放在原来的位置；
    第 ``j`` 个新列表示“这一列等于第 ``j`` 个取值（从小到大）”。

    Examples:
        >>> X = torch.tensor([[1.0, 5.0], [3.0, 6.0], [1.0, 7.0]])
        >>> encoded, values = one_hot_column(X, 0)
        >>> encoded.tolist(), values
        ([[1.0, 0.0, 5.0], [0.0, 1.0, 6.0], [1.0, 0.0, 7.0]], [1.0, 3.0])
    """
    check_one_hot_column_args(X, column)
    values = torch.unique(X[:, column])                     # 从小到大
    one_hot = (X[:, column:column + 1] == values).to(X.dtype)
    encoded = torch.cat([X[:, :column], one_hot, X[:, column + 1:]], dim=1)
    return encoded, values.tolist()
# --8<-- [end:one_hot_column]


def check_column_statistics_args(X_train: object) -> torch.Tensor:
    """检查 :func:`column_statistics` 的参数：二维浮点张量，至少两行（才算得出标准差）。"""
    require_tensor(X_train, "X_train", floating=True, ndim=2)
    if X_train.shape[0] < 2:
        raise ValueError(f"X_train 至少要有 2 个样本才能算标准差，实际形状为 {tuple(X_train.shape)}")
    return X_train


def check_standardize_columns_args(X: object, mean: object, std: object) -> None:
    """检查 :func:`standardize_columns` 的参数：``mean``、``std`` 是长度等于特征数的一维张量，``std`` 全为正。"""
    require_tensor(X, "X", floating=True, ndim=2)
    for name, value in (("mean", mean), ("std", std)):
        require_tensor(value, name, floating=True, ndim=1)
        if value.shape[0] != X.shape[1]:
            raise ValueError(
                f"参数 {name} 的长度应等于 X 的特征数 {X.shape[1]}，实际形状为 {tuple(value.shape)}；"
                "mean 和 std 应来自同样列数的训练特征"
            )
    if not bool((std > 0).all()):
        raise ValueError("参数 std 应全为正数；标准差为 0 的列在训练部分是常数，应当先去掉")


# --8<-- [start:standardize_columns]
def column_statistics(X_train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """训练特征每一列的均值和标准差，形状都是 ``(特征数,)``。

    Examples:
        >>> X_train = torch.tensor([[0.0, 10.0], [2.0, 10.0], [4.0, 40.0]])
        >>> mean, std = column_statistics(X_train)
        >>> mean.tolist(), std.tolist()
        ([2.0, 20.0], [2.0, 17.32050895690918])
    """
    check_column_statistics_args(X_train)
    return X_train.mean(dim=0), X_train.std(dim=0)


def standardize_columns(
    X: torch.Tensor, mean: torch.Tensor, std: torch.Tensor
) -> torch.Tensor:
    """逐列标准化 ``(X - mean) / std``；``mean`` 和 ``std`` 应来自训练部分。

    Examples:
        >>> mean, std = torch.tensor([2.0, 20.0]), torch.tensor([2.0, 10.0])
        >>> standardize_columns(torch.tensor([[3.0, 50.0]]), mean, std).tolist()
        [[0.5, 3.0]]
    """
    check_standardize_columns_args(X, mean, std)
    return (X - mean) / std          # 广播：每一列减去自己的均值、除以自己的标准差
# --8<-- [end:standardize_columns]


def check_predictions(y_hat: object, y: object) -> None:
    """检查指标函数的参数：形状相同的一维浮点张量，至少一个元素。"""
    require_tensor(y_hat, "y_hat", floating=True)
    require_tensor(y, "y", floating=True)
    if y_hat.dim() != 1 or y_hat.shape != y.shape or len(y) == 0:
        raise ValueError(
            f"y_hat 和 y 应为形状相同的非空一维张量，实际为 {tuple(y_hat.shape)} 和 {tuple(y.shape)}；"
            "模型输出 (n, 1) 时先用 .squeeze(1) 变成 (n,)"
        )


def check_log_rmse_args(y_hat: object, y: object) -> None:
    """检查 :func:`log_rmse` 的参数：形状相同的一维浮点张量，且全为正数（才能取对数）。"""
    check_predictions(y_hat, y)
    if not (bool((y_hat > 0).all()) and bool((y > 0).all())):
        raise ValueError("log_rmse 要求 y_hat 和 y 全为正数（要取对数）；可以先把预测值截断到一个小的正数")


# --8<-- [start:metrics]
def rmse(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """均方根误差 :math:`\\sqrt{\\frac1n\\sum_i (\\hat y_i - y_i)^2}`，单位与 ``y`` 相同。

    Examples:
        >>> rmse(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 6.0]))
        1.7320508075688772
    """
    check_predictions(y_hat, y)
    return ((y_hat.double() - y.double()) ** 2).mean().sqrt().item()


def mae(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """平均绝对误差 :math:`\\frac1n\\sum_i |\\hat y_i - y_i|`。

    Examples:
        >>> mae(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 6.0]))
        1.0
    """
    check_predictions(y_hat, y)
    return (y_hat.double() - y.double()).abs().mean().item()


def r2_score(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """决定系数 :math:`R^2 = 1 - \\sum_i (\\hat y_i - y_i)^2 / \\sum_i (y_i - \\bar y)^2`。

    Examples:
        >>> r2_score(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0]))
        1.0
        >>> r2_score(torch.tensor([2.0, 2.0, 2.0]), torch.tensor([1.0, 2.0, 3.0]))
        0.0
    """
    check_predictions(y_hat, y)
    y_hat, y = y_hat.double(), y.double()
    return (1 - ((y_hat - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()).item()
# --8<-- [end:metrics]


# --8<-- [start:log_rmse]
def log_rmse(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """对数均方根误差 :math:`\\sqrt{\\frac1n\\sum_i (\\log\\hat y_i - \\log y_i)^2}`，只对正数有定义。

    Examples:
        >>> y_hat, y = torch.tensor([110.0, 1100.0]), torch.tensor([100.0, 1000.0])
        >>> round(log_rmse(y_hat, y), 4)
        0.0953
    """
    check_log_rmse_args(y_hat, y)
    return rmse(y_hat.log(), y.log())
# --8<-- [end:log_rmse]


def check_fit_predict_args(X_train: object, y_train: object, X_eval: object) -> None:
    """检查回归器的参数：``X_train`` 与 ``X_eval`` 是列数相同的二维浮点张量，``y_train`` 每个训练样本一个数。"""
    require_tensor(X_train, "X_train", floating=True, ndim=2)
    require_tensor(y_train, "y_train", floating=True, ndim=1)
    require_tensor(X_eval, "X_eval", floating=True, ndim=2)
    if len(y_train) != len(X_train) or len(y_train) < 2:
        raise ValueError(
            f"y_train 应有 len(X_train)={len(X_train)} 个元素（至少 2 个），实际形状为 {tuple(y_train.shape)}"
        )
    if X_eval.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_eval 的列数应与 X_train 相同（{X_train.shape[1]}），实际形状为 {tuple(X_eval.shape)}")


# --8<-- [start:predict_mean]
def predict_mean(
    X_train: torch.Tensor, y_train: torch.Tensor, X_eval: torch.Tensor
) -> torch.Tensor:
    """最简单的基线：不看特征，对每个样本都预测训练目标的均值。

    Examples:
        >>> y_train = torch.tensor([1.0, 2.0, 6.0])
        >>> predict_mean(torch.zeros(3, 2), y_train, torch.zeros(2, 2)).tolist()
        [3.0, 3.0]
    """
    check_fit_predict_args(X_train, y_train, X_eval)
    return y_train.mean().expand(len(X_eval)).clone()
# --8<-- [end:predict_mean]


def check_ridge_predict_args(X_train: object, y_train: object, X_eval: object, lam: object) -> float:
    """检查 :func:`ridge_predict` 的参数：同回归器，另外 ``lam`` 是非负实数。"""
    check_fit_predict_args(X_train, y_train, X_eval)
    return require_real(lam, "lam", minimum=0.0)


# --8<-- [start:ridge_predict]
def ridge_predict(
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_eval: torch.Tensor,
    *,
    lam: float = 0.0,
) -> torch.Tensor:
    """岭回归的解析解（``lam=0`` 时就是普通最小二乘），返回对 ``X_eval`` 的预测。

    最小化
    :math:`\\|\\mathbf{X}\\mathbf{w} + b - \\mathbf{y}\\|^2 + \\lambda\\|\\mathbf{w}\\|^2`，
    偏置 :math:`b` 不受惩罚：先把特征和目标中心化，解出 ``w``，再由均值求 ``b``。
    在 float64 下求解，结果转回 ``X_eval`` 的类型。

    Examples:
        >>> X = torch.tensor([[0.0], [1.0], [2.0]])
        >>> ridge_predict(X, 2 * X.squeeze(1) + 1, torch.tensor([[3.0]])).tolist()
        [7.0]
    """
    check_ridge_predict_args(X_train, y_train, X_eval, lam)
    X, y = X_train.double(), y_train.double()
    x_mean, y_mean = X.mean(dim=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    A = Xc.T @ Xc + lam * torch.eye(X.shape[1], dtype=X.dtype)
    w = torch.linalg.solve(A, Xc.T @ yc)             # (XᵀX + λI) w = Xᵀy
    b = y_mean - x_mean @ w
    return (X_eval.double() @ w + b).to(X_eval.dtype)
# --8<-- [end:ridge_predict]


def check_mlp_predict_args(
    *,
    X_train: object,
    y_train: object,
    X_eval: object,
    num_hiddens: object,
    num_epochs: object,
    lr: object,
    weight_decay: object,
    seed: object,
) -> None:
    """检查 :func:`mlp_predict` 的参数：同回归器，另外隐藏单元数和轮数是正整数、学习率为正、
    权重衰减非负、种子是非负整数。"""
    check_fit_predict_args(X_train, y_train, X_eval)
    require_positive_int(num_hiddens, "num_hiddens")
    require_positive_int(num_epochs, "num_epochs")
    require_positive(lr, "lr")
    require_real(weight_decay, "weight_decay", minimum=0.0)
    require_int(seed, "seed", minimum=0)


# --8<-- [start:mlp_predict]
def mlp_predict(
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_eval: torch.Tensor,
    *,
    num_hiddens: int = 16,
    num_epochs: int = 100,
    lr: float = 0.01,
    weight_decay: float = 0.0,
    seed: int = 0,
) -> torch.Tensor:
    """训练一个单隐藏层的多层感知机（AdamW，均方误差），返回对 ``X_eval`` 的预测。

    目标也用训练部分的均值和标准差标准化，预测时再变换回原来的单位。
    训练集只有几百个样本，每一轮把整个训练部分当作一个批量，做一次参数更新。
    ``seed`` 固定初始参数。

    Examples:
        >>> X = torch.linspace(-1, 1, 50).unsqueeze(1)
        >>> y = 3 * X.squeeze(1) + 1
        >>> y_hat = mlp_predict(X, y, X, num_epochs=300)
        >>> rmse(y_hat, y) < 0.1
        True
    """
    check_mlp_predict_args(**locals())  # 此时 locals() 只有这些参数
    y_mean, y_std = y_train.mean(), y_train.std()
    target = ((y_train - y_mean) / y_std).unsqueeze(1)   # (n, 1)，与输出同形
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(X_train.shape[1], num_hiddens), nn.ReLU(),
                        nn.Linear(num_hiddens, 1))
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr,
                                  weight_decay=weight_decay)
    full_batch = [(X_train, target)]          # 每轮一个批量：整个训练部分
    train_regression(net, full_batch, nn.MSELoss(), optimizer, num_epochs,
                     X_train, target)
    with torch.no_grad():
        return net(X_eval).squeeze(1) * y_std + y_mean
# --8<-- [end:mlp_predict]


def check_train_and_score_args(
    X_train: object, y_train: object, X_eval: object, y_eval: object, fit_predict: object
) -> None:
    """检查 :func:`train_and_score` 的参数：训练、评估两部分的特征与目标形状相配，``fit_predict`` 可调用。"""
    check_fit_predict_args(X_train, y_train, X_eval)
    require_tensor(y_eval, "y_eval", floating=True, ndim=1)
    if len(y_eval) != len(X_eval):
        raise ValueError(f"y_eval 应有 len(X_eval)={len(X_eval)} 个元素，实际形状为 {tuple(y_eval.shape)}")
    require_callable(fit_predict, "fit_predict")


def check_cross_validate_regression_args(X: object, y: object, fit_predict: object, k: object) -> None:
    """检查 :func:`cross_validate_regression` 的参数：``X`` 与 ``y`` 样本数相同，``fit_predict`` 可调用，
    ``k`` 的取值由 :func:`kfold_subsets` 检查。"""
    require_tensor(X, "X", floating=True, ndim=2)
    require_tensor(y, "y", floating=True, ndim=1)
    if len(y) != len(X):
        raise ValueError(f"y 应有 len(X)={len(X)} 个元素，实际形状为 {tuple(y.shape)}")
    require_callable(fit_predict, "fit_predict")
    require_int(k, "k", minimum=2)


# --8<-- [start:train_and_score]
def train_and_score(
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_eval: torch.Tensor,
    y_eval: torch.Tensor,
    fit_predict: Regressor,
    **hyperparams: object,
) -> tuple[float, torch.Tensor]:
    """用训练部分的统计量标准化两部分特征，拟合回归器，返回 ``(评估部分的 RMSE, 预测值)``。

    Examples:
        >>> X = torch.arange(10.0).unsqueeze(1)
        >>> y = 2 * X.squeeze(1)
        >>> score, y_hat = train_and_score(X[:8], y[:8], X[8:], y[8:], ridge_predict)
        >>> round(score, 6), y_hat.shape
        (0.0, torch.Size([2]))
    """
    check_train_and_score_args(X_train, y_train, X_eval, y_eval, fit_predict)
    mean, std = column_statistics(X_train)                     # 只看训练部分
    y_hat = fit_predict(standardize_columns(X_train, mean, std), y_train,
                        standardize_columns(X_eval, mean, std), **hyperparams)
    return rmse(y_hat, y_eval), y_hat


def cross_validate_regression(
    X: torch.Tensor,
    y: torch.Tensor,
    fit_predict: Regressor,
    *,
    k: int = 5,
    seed: int = 0,
    **hyperparams: object,
) -> list[float]:
    """K 折交叉验证：每一折用训练部分拟合、在验证部分上算 RMSE，返回 ``k`` 个 RMSE。

    Examples:
        >>> X = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
        >>> scores = cross_validate_regression(X, X.sum(dim=1), ridge_predict, k=4)
        >>> len(scores), max(scores) < 1e-5
        (4, True)
    """
    check_cross_validate_regression_args(X, y, fit_predict, k)
    scores = []
    folds = kfold_subsets(TensorDataset(X, y), k, seed=seed)
    for train_part, valid_part in folds:
        tr, va = train_part.indices, valid_part.indices
        score, _ = train_and_score(X[tr], y[tr], X[va], y[va], fit_predict,
                                   **hyperparams)
        scores.append(score)
    return scores
# --8<-- [end:train_and_score]


def check_plot_predictions_args(y: object, predictions: object) -> None:
    """检查 :func:`plot_predictions` 的参数：``y`` 是一维张量，``predictions`` 是非空字典、每个值与 ``y`` 同形。"""
    require_tensor(y, "y", ndim=1)
    if not isinstance(predictions, Mapping) or len(predictions) == 0:
        raise ValueError("参数 predictions 应为非空的字典：模型名 → 预测值")
    for name, y_hat in predictions.items():
        require_tensor(y_hat, f"predictions[{name!r}]", ndim=1)
        if y_hat.shape != y.shape:
            raise ValueError(
                f"predictions[{name!r}] 的形状应与 y 相同 {tuple(y.shape)}，实际为 {tuple(y_hat.shape)}"
            )


def plot_predictions(
    y: torch.Tensor, predictions: Mapping[str, torch.Tensor], *, title: str = "预测值与真实值"
) -> Figure:
    """每个模型一个子图：横轴是真实值，纵轴是预测值，虚线是“预测等于真实”的对角线。

    Args:
        y: 真实值。
        predictions: 子图标题（英文）→ 预测值。
        title: 图的中文说明（网页上图片的替代文本）。

    Examples:
        >>> figure = plot_predictions(torch.tensor([1.0, 2.0]), {"ridge": torch.tensor([1.5, 2.5])})
        >>> len(figure.axes), figure.axes[0].get_xlabel()
        (1, 'true y')
    """
    check_plot_predictions_args(y, predictions)
    figure = Figure(figsize=(3.2 * len(predictions), 3.2), layout="constrained")
    figure.set_label(title)
    axes_row = figure.subplots(1, len(predictions), squeeze=False, sharex=True, sharey=True)[0]
    low = min(float(y.min()), *(float(p.min()) for p in predictions.values()))
    high = max(float(y.max()), *(float(p.max()) for p in predictions.values()))
    for axes, (name, y_hat) in zip(axes_row, predictions.items()):
        axes.scatter(y.tolist(), y_hat.tolist(), s=12, alpha=0.7)
        axes.plot([low, high], [low, high], "--", color="gray", linewidth=1)
        axes.set_title(f"{name}: RMSE {rmse(y_hat.double(), y.double()):.1f}")
        axes.set_xlabel("true y")
        axes.grid(alpha=0.3)
    axes_row[0].set_ylabel("predicted y")
    return figure
