/// Real QR codes, shipped as PNG bytes in base64 (no resource lookup at run time).
///
/// Each image encodes its `code` (a string shaped like Baileys' `2@…`, but clearly not a WhatsApp login). Made once,
/// in a throwaway virtualenv, with PyPI's `qrcode` 8.2 and `pypng` 0.20220715.0:
///
///     qr = qrcode.QRCode(box_size=4, border=4, image_factory=qrcode.image.pure.PyPNGImage)
///     qr.add_data(code); qr.make(fit=True); qr.make_image().save(buffer)
///
/// for `code` = `2@evolution-sim-qr-N,simulated,not-a-whatsapp-login`, N = 1…6.
enum QRCodeImages {
    /// One QR code: the string it encodes and its PNG in base64.
    struct Image: Sendable {
        let code: String
        let pngBase64: String

        /// The PNG as a data URL, as Evolution's `base64` field carries it.
        var dataURL: String { "data:image/png;base64," + pngBase64 }
    }

    /// The images, used in turn as QR codes rotate (consecutive codes always differ).
    static let all: [Image] = [
        Image(
            code: "2@evolution-sim-qr-1,simulated,not-a-whatsapp-login",
            pngBase64:
                "iVBORw0KGgoAAAANSUhEUgAAAKQAAACkAQAAAAAxzrjsAAABOUlEQVR4nO2WQW7EMAwD9QP+/5f6geqh4xZB92Ye1wiw8SSA"
                + "YoqStubD6vrSHK0qaUo9LW9CVFzt39HeZOgKVlO9lsQmSK1S98SpiLYOkKQ8aI4xR6oIdTbPeuf4inoVByGXL09eUaw3BBwM"
                + "OEeda9pyFhvdq7B2hlqTFUn4b36zeU0RCO4XsHaIcoinWNYrfVS/piV//RK8MXeMrgiUN5I3IilFG2fbgU9XytB21/Dnc9cx"
                + "akm2S1A9Rvd9Y2sXeohSLtr2Xg9qUpR+MVuk2X0jQ5toVMtSnksh6t65Ni4Y2n2IWnbtUY30KWpjTLt7cpIUnT2UDGjQKcpA"
                + "Kv9dIZs5ygBlkjJRNXW8c089/SlCqxOlbkmuGZ1uH6GP9/TnvgB1wySfskcmRHc2kccT5ZXjG/p/fWmM/gADjNI1EBAJRAAA"
                + "AABJRU5ErkJggg=="),
        Image(
            code: "2@evolution-sim-qr-2,simulated,not-a-whatsapp-login",
            pngBase64:
                "iVBORw0KGgoAAAANSUhEUgAAAKQAAACkAQAAAAAxzrjsAAABOklEQVR4nO2WQZLDMAgE+QH//yU/YOmRld1U9sYco6TKduuA"
                + "mQHk6H9WxZf6aERkRmV1pR5MNPmXrp3nwUMVTCuTByMtQlW1m7bidbaTslE9uK9UFio373r3eEVPvY1AJPBWkzs699EY2RRg"
                + "X3XWlIXo6B7sm+i8P6pPuyD8y801jbh2TgaUtolmjDqpZmm22kQLadTgxa2NTgTkmR951HVzTcdDKXQEv92yp2qWqof/erGl"
                + "1IdmB3Mjql1USMlQ1ZkuqhHEKErqOtpFZaAGR/aZGx46gebtcVSFEmmiQZCRRScU6psossfJRTPJRWmW0umRZGOjj58CDGgX"
                + "5UBCdEKOTDZKAqXhgQFxa2dPQ+VMX6tanFSWQnHVSDWGCPeqPgNFHZoE8c9nloU+XyuadZH1x+Md/VxfaqM/0ijhrYzhyu8A"
                + "AAAASUVORK5CYII="),
        Image(
            code: "2@evolution-sim-qr-3,simulated,not-a-whatsapp-login",
            pngBase64:
                "iVBORw0KGgoAAAANSUhEUgAAAKQAAACkAQAAAAAxzrjsAAABOUlEQVR4nO2WwQ3DMAwDtQH331IbuDw5DRCgfZnPJG5rXx6q"
                + "SUlOrR9X10tztKrkiXq1vosElYc/1xcjREt7rOqZJaljiQ2EaTfRLFCSekBn/tDsjGLgfT08PqNclqdlzfXIyTOqgcbWxo8q"
                + "R33777d3gEop6rlj+F4YumLU/97bMCuM7Ev1c0rOkSfegUP3V/VjWg7ljoGdTSGmqBezF+Hlur04p8MoxV2RMdraJULzJBdD"
                + "tMZGjUii0YXoVMlsxINCD1F+MXL074pR6k9UdZHYaJSiHHg9oRgrRHeN4OI0fMVo0412DdKSFKIkB82NUDS6FN3dXtM6nddK"
                + "0RrZ6Rwg3V6c0jlNWRY6PU7pMzqn/3VKzZMc3bnCQ1WS9oi+u2eM7rL2QtvQEMXNKet1vWGF6Pmb+Uv/0g+PRZatadbNbQAA"
                + "AABJRU5ErkJggg=="),
        Image(
            code: "2@evolution-sim-qr-4,simulated,not-a-whatsapp-login",
            pngBase64:
                "iVBORw0KGgoAAAANSUhEUgAAAKQAAACkAQAAAAAxzrjsAAABRElEQVR4nO2WUZLCMAxDdQPd/5a+gddSSBdm+LM+aWmhr8y0"
                + "kSUn6C9b4UdzFADZxZrDFyFKfQbMd/NcZOg8DIWajaSfHKNWqarTdE4l2EmqG9WD+0oVoa7m3T5rvKLHbywP4MOTOzq/Mbsk"
                + "GgP2VWdNx89zVfYJIB9m6Lw9oKiI91uNlxROSXkglLVD1OCEZf5SV/U1LfrtWxIxSAnHW5JPLevRbE0Vv5HmCP5kaE2niPQg"
                + "WvyqHqCqY2mXSNUxqh6vHgcJRKaorHdkka/RKaq0yCJuony6xpoq2+MUdTsZ5dXl9hSO9zGg/JKiOh2uLKJSFJad7p4aSYq2"
                + "C0oD2TtFNSFBGdTKgjlKNzpJ07p5vbOnXlUohFYnSpVxzyPN/9kpQD1B6XGP+wK0bQ/bWx7pED2rV3U53ai3Gu/o99X2j0bo"
                + "HzHTs0V4bO8DAAAAAElFTkSuQmCC"),
        Image(
            code: "2@evolution-sim-qr-5,simulated,not-a-whatsapp-login",
            pngBase64:
                "iVBORw0KGgoAAAANSUhEUgAAAKQAAACkAQAAAAAxzrjsAAABO0lEQVR4nO2WwXXDMAxDsQH33xIbqASouGlfbsQxipNYnwdZ"
                + "oEAa58MgvjRHAVQVioflSYhWXz1VYCYpKqA7wqEkJbWRXi5McWoSkKR9UY8PSfSu2Y5ONu/4l+MN9QAxWf1zJle0dYGC+lLy"
                + "hGjLQu1Fwc4qToq22u0VzoyPZltKnxFKGxkxRgVb9R4l9V+q72nr3RaU+Ao9VWNLvYxDtF9OimJuiteEIap19PzSHJYqQ1WL"
                + "/AN7vFKUo4uo62eKSpApQv2xITNUx6OVcdlUqELUFpTosw+eEJ1W6m6q3D65WFMd6numod2EqB2oPjJ1lClq60kaC//K5p6q"
                + "IUl5qMa5j2Ro2dTHwtd579JL6u7vIgqpc4JUy8mBfLpIhrLuyf7tsXtqI+pP9S5HJ5vqIfcNK0Q/v21/aYT+AL3FgoXcfFxy"
                + "AAAAAElFTkSuQmCC"),
        Image(
            code: "2@evolution-sim-qr-6,simulated,not-a-whatsapp-login",
            pngBase64:
                "iVBORw0KGgoAAAANSUhEUgAAAKQAAACkAQAAAAAxzrjsAAABOUlEQVR4nO2WQRbCIBBD5wZz/1vmBmMSkPeq7shSrBZ+F0gm"
                + "gdb8aKg/zdGqavA24FeDEG1evAMctQYpuvqcsdk0CNICZxukKdhpPUhSLwEWfR6a3VEV8LRHje/oauoXPj15Q7kCzsIfwNKn"
                + "KDiJtO7ZXglRlbJVQ1j8jlEDik/zOY8hqtFSXxINYlRTsJJ2oQIZop5G6ms1WHVIUOWvlO+W/byQDG2qo6CMwx2j7Epvus4Z"
                + "36oHKLXps32cdN/TcTH5iJ9570b3lKovRyuNGKSouDZmOW9dGSpD1y6m3JeiWBuGd+SxPhnK/1+OCXT499nlbqn1kTSSfnLU"
                + "B5IWIHm6zm50S21mhVuH/3SO+m3FiXFWkrRWXWWXKB2PpPvz3eiKyihKIpWXtSdEVc1y+vYbVoh+tz+N0RcbzORBzGzuoAAA"
                + "AABJRU5ErkJggg=="),
    ]

    /// The image for QR code number `count` (1, 2, …).
    static func image(forCount count: Int) -> Image {
        all[(max(count, 1) - 1) % all.count]
    }
}
