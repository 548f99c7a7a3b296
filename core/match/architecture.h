// What a model expects to load: its state_dict names, shapes and dtypes, and its module tree,
// from whichever source described it (a built-in module, TorchScript, a JSON spec, a reference
// checkpoint). Matching needs nothing else, so it runs without libtorch.
#pragma once

#include "core/model/dtype.h"

#include <QString>
#include <QStringList>
#include <QVector>

namespace statelens {

struct ExpectedTensor {
    QString name;             // as the model's state_dict() names it
    QVector<qint64> shape;
    DType dtype = DType::Float32;
};

struct Architecture {
    QString id;               // how the user named it: "resnet18:num_classes=10", "spec.json", "ref:FILE"
    QString modelClass;       // the class torch's messages name ("ResNet", "RecursiveScriptModule")
    // Module names in named_modules() order ("" is the root). Parameterless modules (ReLU) matter
    // for which keys torch calls unexpected; when the source cannot say, they are derived from
    // the tensor names.
    QStringList modules;
    QVector<ExpectedTensor> tensors;  // state_dict() order
    QString source;           // "built-in", "torchscript", "json-spec", "reference checkpoint"

    qint64 parameterCount() const;  // elements over all tensors
};

// torch's rendering of a shape in messages: "torch.Size([10, 512])", "torch.Size([])".
QString torchSizeText(const QVector<qint64>& shape);

}  // namespace statelens
