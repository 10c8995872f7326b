// Guided backpropagation and the deconvnet without touching the model: a
// copy of the captured graph has every ReLU replaced by convscope::guided_relu
// or convscope::deconv_relu. Both compute the same forward value; guided lets
// back only positive gradients where the forward value was positive
// (Springenberg et al., "Striving for Simplicity", 2015), the deconvnet
// rectifies the gradient whatever the forward value was (Zeiler & Fergus,
// "Visualizing and Understanding Convolutional Networks", 2014).

#include "core/graph_passes.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/library.h>

namespace convscope::detail {

namespace {

class GuidedRelu : public torch::autograd::Function<GuidedRelu> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& x)
    {
        torch::Tensor y = torch::relu(x);
        context->save_for_backward({y});
        return y;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                   torch::autograd::variable_list gradients)
    {
        const torch::Tensor y = context->get_saved_variables()[0];
        // ReLU's own gate (where the forward value was positive) times the
        // incoming gradient clamped at zero.
        return {gradients[0].clamp_min(0) * (y > 0).to(gradients[0].scalar_type())};
    }
};

class DeconvRelu : public torch::autograd::Function<DeconvRelu> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext*, const torch::Tensor& x) { return torch::relu(x); }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext*,
                                                   torch::autograd::variable_list gradients)
    {
        // The deconvnet's "unpooling" of a ReLU: the reconstruction is
        // rectified, the forward pass's gate is not applied.
        return {gradients[0].clamp_min(0)};
    }
};

torch::Tensor guidedRelu(const torch::Tensor& x)
{
    return GuidedRelu::apply(x);
}

torch::Tensor deconvRelu(const torch::Tensor& x)
{
    return DeconvRelu::apply(x);
}

} // namespace

TORCH_LIBRARY(convscope, library)
{
    // A catch-all (CompositeImplicitAutograd) kernel: the autograd Function
    // records its own backward on every device.
    library.def("guided_relu(Tensor x) -> Tensor", &guidedRelu);
    library.def("deconv_relu(Tensor x) -> Tensor", &deconvRelu);
}

int guideRelus(torch::jit::Graph& graph, bool deconvnet)
{
    using namespace torch::jit;
    static const Symbol relu = Symbol::fromQualString("aten::relu");
    static const Symbol reluInPlace = Symbol::fromQualString("aten::relu_");
    static const Symbol guided = Symbol::fromQualString("convscope::guided_relu");
    static const Symbol deconv = Symbol::fromQualString("convscope::deconv_relu");
    std::vector<Node*> targets;
    for (Node* node : graph.block()->nodes())
        if (node->kind() == relu || node->kind() == reluInPlace)
            targets.push_back(node);
    for (Node* node : targets) {
        WithInsertPoint guard(node);
        Node* replacement = graph.insertNode(graph.create(deconvnet ? deconv : guided, {node->input(0)}, 1));
        replacement->output()->setType(node->output()->type());
        replacement->copyMetadata(node);
        // An in-place ReLU the functionalize pass left alone (its input is
        // read again later): those later reads saw the rectified value.
        if (node->kind() == reluInPlace)
            node->input(0)->replaceAllUsesAfterNodeWith(replacement, replacement->output());
        node->output()->replaceAllUsesWith(replacement->output());
        node->destroy();
    }
    return static_cast<int>(targets.size());
}

} // namespace convscope::detail
