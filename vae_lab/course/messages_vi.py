"""The check lines in Vietnamese: each message of ``vae_lab.course.checks``, English as written there, and its
Vietnamese, with the same {blanks} (``vae_lab.course.messages``; tests/test_messages.py checks that none is missing).

Written as the lecture speaks (notebooks/GLOSSARY.md): the English terms it keeps stay English (encoder, decoder,
loss, sampling, batch, epoch, tensor, shape, device), a code z is a "vector z", a notebook cell an "ô", the type-along
copy the "bản gõ theo"; code, numbers and the marks ✓ ⚠ ✗ are as in the English. In the order of checks.py, by rule.
"""

MESSAGES = {
    # ---- The lecture's KL line (the ⚠ of the type-along cells, the ✗ of the exercises) and the loss's sum
    "that is the lecture's line, Σ(σ² + μ² − log σ − ½): that is the KL to N(0, ½) plus a constant, not the KL to N(0, "
    "1) (Σ[(σ² + μ² − 1)/2 − log σ]; why: notebook 02, 'Spot the bug'). Your VAE will keep its codes in a tighter "
    "cloud":
        "đây là dòng KL của bài giảng, Σ(σ² + μ² − log σ − ½): dòng này tính KL tới N(0, ½) cộng thêm một hằng số, chứ "
        "không phải KL tới N(0, 1) (Σ[(σ² + μ² − 1)/2 − log σ]; vì sao: notebook 02 (bản tiếng Anh), mục 'Spot the "
        "bug'). VAE của bạn sẽ giữ các vector z trong một đám mây nhỏ hơn",
    "the lecture's loss is the sum, ((x - x_hat)**2).sum(), over the pixels and the images":
        "hàm loss của bài giảng lấy tổng, ((x - x_hat)**2).sum(), trên mọi điểm ảnh và mọi ảnh",
    # ---- ADVICE: what to do about the errors that code typed from the video meets (after "your code raised ...")
    "The noise must be on mu's device: write torch.randn_like(mu) instead of self.N.sample(mu.shape) or "
    "torch.randn(mu.shape) (the video's .cuda() lines do this for an NVIDIA GPU only)":
        "Nhiễu phải nằm trên cùng device với mu: hãy viết torch.randn_like(mu) thay cho self.N.sample(mu.shape) hay "
        "torch.randn(mu.shape) (các dòng .cuda() của video chỉ làm được việc này với GPU NVIDIA)",
    "Put what the model is given on the model's device: x = x.to(device) for each batch, as the lecture's loop, and "
    ".to(device) on each code you make, torch.Tensor([[x, y]]).to(device)":
        "Hãy đưa những gì mô hình nhận vào lên device của mô hình: x = x.to(device) cho mỗi batch, như vòng lặp của "
        "bài giảng, và .to(device) cho mỗi vector z bạn tạo ra, torch.Tensor([[x, y]]).to(device)",
    "The video's .cuda() lines need an NVIDIA GPU: delete `self.N.loc = self.N.loc.cuda()` and `self.N.scale = "
    "self.N.scale.cuda()` (self.N.sample then works on the CPU), or write `torch.randn_like(mu)` instead of "
    "self.N.sample(mu.shape)":
        "Các dòng .cuda() của video cần GPU NVIDIA: hãy xoá `self.N.loc = self.N.loc.cuda()` và `self.N.scale = "
        "self.N.scale.cuda()` (khi đó self.N.sample chạy được trên CPU), hoặc viết `torch.randn_like(mu)` thay cho "
        "self.N.sample(mu.shape)",
    "Write next(iter(data)) instead of data.__iter__().next(): PyTorch 1.13 took .next() away from the data loader's "
    "iterators":
        "Hãy viết next(iter(data)) thay cho data.__iter__().next(): từ PyTorch 1.13, iterator của data loader đã bỏ "
        ".next()",
    "Run the cells above first (Run All), or define the name it needs":
        "Hãy chạy các ô phía trên trước (Run All), hoặc định nghĩa tên mà code cần",
    "Add .gif to the file name: PIL chooses the format from the extension, and the lecture saves f'{filename}.gif'":
        "Hãy thêm .gif vào tên file: PIL chọn định dạng theo phần mở rộng của tên file, và bài giảng lưu thành "
        "f'{filename}.gif'",
    "Build a new tensor (z = mu + ...) instead of changing an input in place (+=, add_)":
        "Hãy tạo một tensor mới (z = mu + ...) thay vì sửa trực tiếp (in place) một đầu vào (+=, add_)",
    "Write .detach() before .numpy(), as the lecture: .to('cpu').detach().numpy()":
        "Hãy viết .detach() trước .numpy(), như bài giảng: .to('cpu').detach().numpy()",
    "Call super().__init__() first in __init__, before any self.layer = ... (the lecture writes super(Encoder, "
    "self).__init__())":
        "Hãy gọi super().__init__() đầu tiên trong __init__, trước mọi dòng self.layer = ... (bài giảng viết "
        "super(Encoder, self).__init__())",
    "The class must take the number of latent dimensions: def __init__(self, latent_dims)":
        "Lớp phải nhận số chiều của không gian latent: def __init__(self, latent_dims)",
    # ---- META: the 'meta' device (after "the notebook's device is 'meta', " or "... on the 'meta' device, ")
    "which holds shapes but no values, so nothing can be computed on it: build your models on the CPU (no "
    "device='meta', .to('meta') or torch.set_default_device('meta')), with device = 'cpu' or 'cuda'":
        "device này chỉ giữ shape mà không có giá trị, nên không tính được gì trên đó: hãy tạo mô hình trên CPU (không "
        "dùng device='meta', .to('meta') hay torch.set_default_device('meta')), với device = 'cpu' hoặc 'cuda'",
    # ---- sentence(): what went wrong, in one sentence; {who} names the student's code (the function's name, "code")
    "code": "code",
    "your {who} did not return within {seconds:g} s: look for a loop that never ends (a `while` whose condition stays "
    "true, a `break` never reached) or far more work than the lecture's":
        "{who} của bạn không trả về trong vòng {seconds:g} s: hãy tìm một vòng lặp không bao giờ kết thúc (một `while` "
        "có điều kiện luôn đúng, một `break` không bao giờ chạy tới) hoặc một khối lượng tính toán lớn hơn nhiều so "
        "với bài giảng",
    "your {who} called sys.exit() (raised SystemExit), which would stop Run All: end it with `return`, or raise an "
    "error that says what is wrong":
        "{who} của bạn gọi sys.exit() (raise SystemExit), việc này sẽ làm Run All dừng lại: hãy kết thúc bằng "
        "`return`, hoặc raise một lỗi nói rõ điều gì sai",
    "your {who} raised KeyboardInterrupt itself, which would stop Run All: raise an error that says what is wrong "
    "(ValueError, ...) instead":
        "{who} của bạn tự raise KeyboardInterrupt, việc này sẽ làm Run All dừng lại: thay vào đó hãy raise một lỗi "
        "nói rõ điều gì sai (ValueError, ...)",
    "the check could not judge your answer ({what}): look at what your code returns, a torch.Tensor of the expected "
    "shape, with floats":
        "phần kiểm tra không đánh giá được đáp án của bạn ({what}): hãy xem code của bạn trả về gì; cần một "
        "torch.Tensor có shape như yêu cầu, chứa số thực",
    "not written yet: replace the `raise NotImplementedError` line with your code":
        "bạn chưa viết phần này: hãy thay dòng `raise NotImplementedError` bằng code của bạn",
    "your code raised {what}. {advice}": "code của bạn báo lỗi {what}. {advice}",
    "your code raised {what}": "code của bạn báo lỗi {what}",
    "function": "hàm",
    # ---- What the student's code printed during a check, cut short
    "[… {lines:,} more lines ({chars:,} characters) that your code printed, left out]":
        "[… đã lược bỏ {lines:,} dòng còn lại ({chars:,} ký tự) mà code của bạn in ra]",
    "[… {chars:,} more characters that your code printed, left out]":
        "[… đã lược bỏ {chars:,} ký tự còn lại mà code của bạn in ra]",
    # ---- described(): what the student's code returned, in words (the {got} of "should have shape")
    "a tensor of shape {shape}": "một tensor có shape {shape}",
    "a NumPy array": "một mảng NumPy",
    "a {type}": "một {type}",
    "{kind} (keep torch tensors: .numpy(), .tolist() and .item() cut the gradients)":
        "{kind} (hãy giữ nguyên tensor của torch: .numpy(), .tolist() và .item() cắt đứt gradient)",
    "nothing: your code returned None (end it with {returns})":
        "None: code của bạn không trả về gì (hãy kết thúc bằng {returns})",
    "a `return` line": "một dòng `return`",
    # ---- tensor_of(): a result checked to be a tensor of a shape, of real numbers; {what} names it
    "{what} should have shape {shape}, got {got}": "{what} phải có shape {shape}, nhưng nhận được {got}",
    "{what} has dtype {dtype}, but it holds real numbers: keep floating-point tensors (no .long(), .int(), .round() or "
    "//)":
        "{what} có dtype {dtype}, trong khi nó phải chứa số thực: hãy giữ tensor kiểu float (không dùng .long(), "
        ".int(), .round() hay //)",
    "{what} holds NaN or infinite values": "{what} chứa giá trị NaN hoặc vô cùng",
    # ---- kl_note(): the slips of a KL (KL_SLIPS); {what} is "self.kl" or "your my_kl"
    "{what} is minus the KL, and a KL is never negative: flip its sign, per dimension (sigma**2 + mu**2 - 1) / 2 - "
    "torch.log(sigma) (the textbook's -0.5 * (1 + log sigma² - mu**2 - sigma**2) starts with a minus)":
        "{what} là âm của KL, mà KL thì không bao giờ âm: hãy đổi dấu, KL của mỗi chiều là (sigma**2 + mu**2 - 1) / 2 "
        "- torch.log(sigma) (công thức thường gặp, -0.5 * (1 + log sigma² - mu**2 - sigma**2), bắt đầu bằng dấu trừ)",
    "{what} subtracts log sigma² where the KL has log sigma: torch.log(sigma**2) is 2 * torch.log(sigma), so write "
    "(sigma**2 + mu**2 - 1) / 2 - torch.log(sigma)":
        "{what} trừ log sigma² ở chỗ mà KL trừ log sigma: torch.log(sigma**2) bằng 2 * torch.log(sigma), vậy hãy viết "
        "(sigma**2 + mu**2 - 1) / 2 - torch.log(sigma)",
    "{what} subtracts half of log sigma where the KL has all of it: the textbook's -0.5 * (1 + log_var - mu**2 - "
    "sigma**2) has log_var = log sigma² = 2 * torch.log(sigma), so write (sigma**2 + mu**2 - 1) / 2 - torch.log(sigma)":
        "{what} chỉ trừ một nửa log sigma, trong khi KL trừ cả log sigma: trong công thức -0.5 * (1 + log_var - mu**2 "
        "- sigma**2) của sách, log_var = log sigma² = 2 * torch.log(sigma), vậy hãy viết (sigma**2 + mu**2 - 1) / 2 - "
        "torch.log(sigma)",
    "{what} takes log_sigma for the textbook's log_var, log sigma²: here it is log sigma, so sigma**2 = torch.exp(2 * "
    "log_sigma) and the KL per dimension is (torch.exp(2 * log_sigma) + mu**2 - 1) / 2 - log_sigma":
        "{what} coi log_sigma là log_var trong sách, tức log sigma²: ở đây nó là log sigma, nên sigma**2 = torch.exp(2 "
        "* log_sigma) và KL của mỗi chiều là (torch.exp(2 * log_sigma) + mu**2 - 1) / 2 - log_sigma",
    "{what} uses log_sigma as sigma: sigma = torch.exp(log_sigma), so the KL per dimension is (torch.exp(2 * "
    "log_sigma) + mu**2 - 1) / 2 - log_sigma":
        "{what} dùng log_sigma như thể nó là sigma: sigma = torch.exp(log_sigma), nên KL của mỗi chiều là (torch.exp(2 "
        "* log_sigma) + mu**2 - 1) / 2 - log_sigma",
    "{what} is a mean, but a KL adds up its terms: write .sum() where you wrote .mean()":
        "{what} là một giá trị trung bình, nhưng KL thì lấy tổng các số hạng của nó: hãy viết .sum() ở chỗ bạn đã viết "
        ".mean()",
    "{what} differs from the KL to N(0, 1) ({given:.4g} where it is {true:.4g}): per dimension (sigma**2 + mu**2 - 1) "
    "/ 2 - torch.log(sigma), with sigma = exp(log_sigma)":
        "{what} khác với KL tới N(0, 1) ({given:.4g} thay vì {true:.4g}): KL của mỗi chiều là (sigma**2 + "
        "mu**2 - 1) / 2 - torch.log(sigma), với sigma = exp(log_sigma)",
    "{what} differs from the KL to N(0, 1): per dimension (sigma**2 + mu**2 - 1) / 2 - torch.log(sigma), with sigma = "
    "exp(log_sigma)":
        "{what} khác với KL tới N(0, 1): KL của mỗi chiều là (sigma**2 + mu**2 - 1) / 2 - torch.log(sigma), "
        "với sigma = exp(log_sigma)",
    # ---- gradients_reach() and joined(): the reparameterization trick, gradients that reach mu and sigma
    "no gradient reaches {names}: build z from them, z = mu + sigma * eps, without .detach() or torch.no_grad(), "
    "instead of sampling z directly or making a new tensor":
        "không có gradient nào đến được {names}: hãy tạo z từ chúng, z = mu + sigma * eps, không dùng .detach() hay "
        "torch.no_grad(), thay vì sampling z trực tiếp hay tạo một tensor mới",
    "no gradient reaches {name}: build z from it, z = mu + sigma * eps, with {name} neither detached nor left out":
        "không có gradient nào đến được {name}: hãy tạo z từ nó, z = mu + sigma * eps, sao cho {name} không bị detach "
        "và cũng không bị bỏ sót",
    "{first} and {second}": "{first} và {second}",
    # ---- is_noise(): (z - mu) / sigma should be N(0, 1) noise
    "(z - mu) / sigma should be N(0, 1) noise (mean 0, spread 1), got mean {mean} and spread {spread}: z = mu + sigma "
    "* eps, eps = torch.randn_like(mu), a sample of N(0, 1) in mu's shape{advice}":
        "(z - mu) / sigma phải là nhiễu N(0, 1) (trung bình 0, độ lệch chuẩn 1), nhưng ở đây trung bình là {mean} và "
        "độ lệch chuẩn là {spread}: z = mu + sigma * eps, eps = torch.randn_like(mu), một mẫu từ N(0, 1) có cùng shape "
        "với mu{advice}",
    # ---- variational_encoder_note(): the lecture's VariationalEncoder
    "encoder(x), one code per image of x (256, 1, 28, 28),": "encoder(x), mỗi ảnh của x (256, 1, 28, 28) một vector z,",
    "forward never uses self.{name}: mu and sigma have a layer each, mu = self.linear2(x) and sigma = "
    "torch.exp(self.linear3(x))":
        "forward không hề dùng self.{name}: mu và sigma mỗi cái có một lớp riêng, mu = self.linear2(x) và sigma = "
        "torch.exp(self.linear3(x))",
    "sigma = relu(...) is 0 for some codes, and then log sigma, in the KL, is minus infinity: the video says relu "
    "would do (0:05:20) but types exp (0:05:36), sigma = torch.exp(self.linear3(x))":
        "sigma = relu(...) bằng 0 ở một số vector z, và khi đó log sigma trong KL là âm vô cùng: video nói dùng relu "
        "cũng được (0:05:20) nhưng gõ exp (0:05:36), sigma = torch.exp(self.linear3(x))",
    "sigma must be positive, and linear3 gives any real number: the lecture makes it positive with exp, sigma = "
    "torch.exp(self.linear3(x))":
        "sigma bắt buộc phải là số dương, mà linear3 cho ra số thực bất kỳ: bài giảng dùng exp để biến nó thành số "
        "dương, sigma = torch.exp(self.linear3(x))",
    ", with mu = self.linear2(x) (no ReLU on mu) and sigma = torch.exp(self.linear3(x))":
        ", trong đó mu = self.linear2(x) (không dùng ReLU cho mu) và sigma = torch.exp(self.linear3(x))",
    "your forward never set self.kl (got {kl!r}, as __init__ left it): compute the KL from mu and sigma in forward and "
    "keep its sum in self.kl, self.kl = (...).sum(), not kl = ... (a name that is lost when forward returns)":
        "forward của bạn không hề gán self.kl (vẫn là {kl!r}, như __init__ để lại): hãy tính KL từ mu và sigma trong "
        "forward và giữ tổng của nó trong self.kl, self.kl = (...).sum(), chứ không phải kl = ... (một biến cục bộ, sẽ "
        "mất đi khi forward trả về)",
    "shape {shape}": "shape {shape}",
    "after encoder(x), self.kl should be one number for the batch (a tensor summed with .sum()), got {got}":
        "sau encoder(x), self.kl phải là một con số duy nhất cho cả batch (một tensor đã lấy tổng bằng .sum()), nhưng "
        "nhận được {got}",
    "self.kl should be a real number (a float tensor), got dtype {dtype}":
        "self.kl phải là một số thực (một tensor float), nhưng nhận được dtype {dtype}",
    # ---- same_interpolation(): images decoded from z_1 to z_2
    "the images differ from the ones decoded at z_1 + (z_2 - z_1) * t for t in np.linspace(0, 1, n): evenly spaced "
    "from z_1 to z_2, both ends included":
        "các ảnh khác với các ảnh được giải mã tại z_1 + (z_2 - z_1) * t, với t lấy từ np.linspace(0, 1, n): các điểm "
        "cách đều nhau từ z_1 đến z_2, tính cả hai đầu",
    # ---- take(): the line of a type-along cell (✓, ⚠, ✗ or not typed yet), with its lecture time
    "take knows the type-along names {names}, got {name!r}.":
        "take chỉ biết các tên gõ theo {names}, nhưng nhận được {name!r}.",
    " (lecture {time})": " (bài giảng {time})",
    "{name} is not typed yet{at}: the cells below use vae_lab's version{made_of}.":
        "{name} chưa được gõ{at}: các ô bên dưới dùng phiên bản của vae_lab{made_of}.",
    "the notebook's device is 'meta', {meta}": "device của notebook là 'meta', {meta}",
    "✗ {name}: {said}{at}. The cells below use vae_lab's version{made_of} until you fix it.":
        "✗ {name}: {said}{at}. Cho đến khi code của bạn chạy đúng, các ô bên dưới dùng phiên bản của "
        "vae_lab{made_of}.",
    "⚠ {name}: {said}{at}. The cells below use your {name}.":
        "⚠ {name}: {said}{at}. Các ô bên dưới dùng {name} của bạn.",
    "✓ {name}: yours is used from here on.": "✓ {name}: từ đây trở đi các ô dùng bản của bạn.",
    ", built from this notebook's {names}": ", dựng từ {names} của notebook này",
    # ---- build() and linear(): the lecture's classes and layers
    "give the class itself (class ... (nn.Module)), not {what}":
        "hãy đưa vào chính lớp đó (class ... (nn.Module)), chứ không phải {what}",
    "{cls}({dims}) has its tensors on the 'meta' device, {meta}":
        "{cls}({dims}) có các tensor nằm trên device 'meta', {meta}",
    "{module} needs a layer self.{name} = nn.Linear({inputs}, {outputs}) (the lecture's name), found {found}":
        "{module} cần một lớp self.{name} = nn.Linear({inputs}, {outputs}) (tên dùng trong bài giảng); tìm thấy: "
        "{found}",
    "none": "không có",
    "self.{name} must be nn.Linear({inputs}, {outputs}), got nn.Linear({got_inputs}, {got_outputs})":
        "self.{name} phải là nn.Linear({inputs}, {outputs}), nhưng đang là nn.Linear({got_inputs}, {got_outputs})",
    # ---- Encoder, Decoder, Autoencoder and VariationalAutoencoder
    "encoder(x) for x of shape (8, 1, 28, 28)": "encoder(x) với x có shape (8, 1, 28, 28)",
    "decoder(z) for z of shape (8, 2) has the pixels of 8 images in shape {shape}, not (8, 1, 28, 28): end forward "
    "with return z.reshape((-1, 1, 28, 28)), as the lecture":
        "decoder(z) với z có shape (8, 2) cho ra các điểm ảnh của 8 ảnh với shape {shape}, chứ không phải (8, 1, 28, "
        "28): hãy kết thúc forward bằng return z.reshape((-1, 1, 28, 28)), như bài giảng",
    "decoder(z) for z of shape (8, 2)": "decoder(z) với z có shape (8, 2)",
    "pixels must be in [0, 1], and linear2 gives any real number: end with a sigmoid, z = "
    "torch.sigmoid(self.linear2(z)), as the lecture":
        "điểm ảnh phải nằm trong [0, 1], mà linear2 cho ra số thực bất kỳ: hãy kết thúc bằng hàm sigmoid, z = "
        "torch.sigmoid(self.linear2(z)), như bài giảng",
    "the model needs self.{part} (the lecture's name), built in __init__":
        "mô hình cần self.{part} (tên dùng trong bài giảng), được tạo trong __init__",
    "self.{part} is your {cls}, which its own check refuses: {refused}":
        "self.{part} là {cls} của bạn, mà chính phần kiểm tra của nó không chấp nhận: {refused}",
    "model(x) for x of shape (8, 1, 28, 28)": "model(x) với x có shape (8, 1, 28, 28)",
    "after model(x), model.encoder.kl should hold the batch's KL term (a tensor)":
        "sau model(x), model.encoder.kl phải chứa thành phần KL của batch (một tensor)",
    # ---- train: the training loop, read from the gradients
    "train should end with `return autoencoder`, the trained model, as the lecture's does: the notebook writes vae = "
    "train(vae, data, ...)":
        "train phải kết thúc bằng `return autoencoder`, tức là mô hình đã huấn luyện, như hàm của bài giảng: notebook "
        "viết vae = train(vae, data, ...)",
    "no gradient reached the model's output: call loss.backward() for each batch":
        "không có gradient nào đến được đầu ra của mô hình: hãy gọi loss.backward() cho mỗi batch",
    "the gradients add up from batch to batch: call opt.zero_grad() at the start of each step, before loss.backward(), "
    "as the lecture's loop":
        "gradient bị cộng dồn từ batch này sang batch khác: hãy gọi opt.zero_grad() ở đầu mỗi bước, trước "
        "loss.backward(), như vòng lặp của bài giảng",
    "train should be a function, got {type}": "train phải là một hàm, nhưng nhận được {type}",
    "the weights did not change: create the optimizer from autoencoder.parameters() and call opt.step() after "
    "loss.backward(), with opt.zero_grad() before loss.backward() (between them it wipes the gradients that opt.step() "
    "needs)":
        "trọng số không thay đổi: hãy tạo optimizer từ autoencoder.parameters() và gọi opt.step() sau loss.backward(), "
        "với opt.zero_grad() đặt trước loss.backward() (đặt giữa hai lệnh đó, nó sẽ xoá mất gradient mà opt.step() "
        "cần)",
    "a mean (.mean() or F.mse_loss): write .sum() where you wrote .mean()":
        "một giá trị trung bình (.mean() hoặc F.mse_loss): hãy viết .sum() ở chỗ bạn đã viết .mean()",
    "something else": "một đại lượng khác",
    "the reconstruction term is {what}: {sum_not_mean}": "thành phần sai số tái tạo là {what}: {sum_not_mean}",
    "the loss has no KL term, or one cut from the gradients (.detach(), .item()): add + autoencoder.encoder.kl, as it "
    "is":
        "hàm loss không có thành phần KL, hoặc thành phần đó bị cắt khỏi gradient (.detach(), .item()): hãy cộng thêm "
        "+ autoencoder.encoder.kl, giữ nguyên tensor đó",
    "the loss subtracts the KL: add it, loss = ((x - x_hat)**2).sum() + autoencoder.encoder.kl":
        "hàm loss trừ đi KL: hãy cộng nó vào, loss = ((x - x_hat)**2).sum() + autoencoder.encoder.kl",
    "the KL term should be added once, with weight 1: + autoencoder.encoder.kl":
        "thành phần KL phải được cộng vào đúng một lần, với trọng số 1: + autoencoder.encoder.kl",
    # ---- The plots: plot_latent, plot_reconstructed, interpolate, interpolate_gif and their 1-D versions
    "nothing was shown: plt.imshow(img) the {what}": "không có gì được hiển thị: hãy vẽ {what} bằng plt.imshow(img)",
    "the {what} should be {rows} x {columns} pixels, got shape {shape}":
        "{what} phải có {rows} x {columns} điểm ảnh, nhưng ảnh hiện ra có shape {shape}",
    "nothing was drawn: plt.scatter(...) the codes of each batch":
        "không có gì được vẽ: hãy vẽ các vector z của mỗi batch bằng plt.scatter(...)",
    "the points drawn are not the encoder's codes: z = autoencoder.encoder(x); plot z[:, 0]":
        "các điểm được vẽ không phải là các vector z của encoder: z = autoencoder.encoder(x); hãy vẽ z[:, 0]",
    "grid of decoded images (n = {n})": "lưới các ảnh giải mã (n = {n})",
    "the top-left cell should be decoded from z = (r0[0], r1[1]): row i from the top has z_2 = r1[1] - ..., column j "
    "has z_1 = r0[0] + ...":
        "ô trên cùng bên trái phải được giải mã từ z = (r0[0], r1[1]): hàng i tính từ trên xuống có z_2 = r1[1] - ..., "
        "cột j có z_1 = r0[0] + ...",
    "strip of decoded images (n = {n})": "dải ảnh giải mã (n = {n})",
    "no file was written: save the frames with {code}":
        "không có file nào được ghi ra: hãy lưu các khung hình với tên {code}",
    "the file written, {file}, is not an image: save the frames as a GIF, {code}":
        "file được ghi ra, {file}, không phải là ảnh: hãy lưu các khung hình thành file GIF, {code}",
    "for n = {n} the GIF should have at least {n} frames, got {frames}: PIL merges frames that are all alike, as black "
    "ones are when the decoded images are not multiplied by 255 (the lecture's .numpy()*255)":
        "với n = {n}, file GIF phải có ít nhất {n} khung hình, nhưng chỉ có {frames}: PIL gộp các khung hình giống hệt "
        "nhau làm một, như các khung đen khi ảnh giải mã chưa được nhân với 255 (bài giảng viết .numpy()*255)",
    "Decoded along the line, from z = {start} to z = {end}":
        "Giải mã dọc theo đường thẳng, từ z = {start} đến z = {end}",
    "the strip should start at z = r0[0]: one code per image, torch.tensor([[x]]) of shape (1, 1)":
        "dải ảnh phải bắt đầu tại z = r0[0]: mỗi ảnh một vector z, torch.tensor([[x]]) có shape (1, 1)",
    # ---- The exercises: ✓ and what passed, or ✗ and a hint
    "✓ {said}": "✓ {said}",
    "✗ {said}.": "✗ {said}.",
    "your {name}": "{name} của bạn",
    "{yours} gives NaN, as torch.log of a negative number does: log_sigma is already log sigma, often negative, so use "
    "it as it is for log sigma, and sigma = torch.exp(log_sigma)":
        "{yours} cho ra NaN, giống như torch.log của một số âm: log_sigma đã là log sigma rồi, và thường là số âm, nên "
        "hãy dùng nguyên nó làm log sigma, và lấy sigma = torch.exp(log_sigma)",
    "the KL, one per row (sum over the latent dimensions only, dim=1),":
        "KL, mỗi hàng một giá trị (chỉ lấy tổng theo các chiều latent, dim=1),",
    ", to {dtype}'s precision": ", trong phạm vi độ chính xác của {dtype}",
    "KL matches torch.distributions.kl_divergence on 6 random Gaussians{precision}.":
        "KL khớp với torch.distributions.kl_divergence trên 6 phân bố Gaussian ngẫu nhiên{precision}.",
    "z (one sample per mu: torch.randn_like)": "z (mỗi mu một mẫu: torch.randn_like)",
    "dz/dmu should be 1: z = mu + sigma * eps, with mu added once":
        "dz/dmu phải bằng 1: z = mu + sigma * eps, với mu được cộng đúng một lần",
    "z has mean mu and spread sigma, and gradients reach both.":
        "z có trung bình mu và độ lệch chuẩn sigma, và gradient đến được cả hai.",
    "the sum of squared errors (one number: .sum() over pixels and batch, no dim)":
        "tổng sai số bình phương (một con số: .sum() trên các điểm ảnh và cả batch, không có dim)",
    "that is the mean squared error; {sum_not_mean}": "đó là sai số bình phương trung bình; {sum_not_mean}",
    "expected {expected:.2f} on this test batch, got {result:.2f}":
        "với batch kiểm tra này, kết quả đúng là {expected:.2f}, nhưng nhận được {result:.2f}",
    "Sum of squared errors is right.": "Tổng sai số bình phương đã đúng.",
    "forward computes z = mu + sigma * eps and self.kl is the true KL.":
        "forward tính z = mu + sigma * eps và self.kl là KL đúng.",
    "the {n} images": "{n} ảnh",
    "the {n} images (join them with torch.cat, not torch.stack)":
        "{n} ảnh (hãy nối chúng bằng torch.cat, không phải torch.stack)",
    "{n} images, evenly spaced from z_1 to z_2, both ends included.":
        "{n} ảnh, giải mã tại các điểm cách đều nhau từ z_1 đến z_2, tính cả hai đầu.",
}
