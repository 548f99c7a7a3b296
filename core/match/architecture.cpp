#include "core/match/architecture.h"

#include "core/model/tensor_info.h"

namespace statelens {

qint64 Architecture::parameterCount() const
{
    qint64 total = 0;
    for (const ExpectedTensor& tensor : tensors) {
        qint64 numel = 0;
        if (checkedNumel(tensor.shape, &numel))
            total += numel;
    }
    return total;
}

QString torchSizeText(const QVector<qint64>& shape)
{
    QStringList parts;
    for (qint64 size : shape)
        parts.append(QString::number(size));
    return QStringLiteral("torch.Size([") + parts.join(QStringLiteral(", ")) + QStringLiteral("])");
}

}  // namespace statelens
