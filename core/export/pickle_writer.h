// Writes the pickle torch.save puts in data.pkl for a state dict: an OrderedDict of tensors rebuilt
// by torch._utils._rebuild_tensor_v2 from persistent-id storages. Protocol 2, and only globals
// torch.load(weights_only=True) allows.
#pragma once

#include "core/model/dtype.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QVector>

namespace statelens {

struct PickledTensor {
    QString name;
    QString storageKey;      // "0", "1", ... (the record data/KEY)
    DType dtype = DType::Float32;
    qint64 storageNumel = 0; // elements of the whole storage
    qint64 storageOffset = 0;
    QVector<qint64> shape;
    QVector<qint64> strides;
};

// torch's storage class for a dtype ("FloatStorage"); empty when torch.save has none for it.
QString torchStorageClass(DType dtype);

QByteArray pickleStateDict(const QVector<PickledTensor>& tensors);

}  // namespace statelens
